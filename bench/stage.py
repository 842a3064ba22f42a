"""One stage of a benchmark night in a process of its own, as an Airflow task runs it.

``python -m bench.stage STAGE HOME RUN_ID [BUILD_ID] [COMMITTEE]`` runs ``bcd35.nightly.STAGE``
(or the report) on the home and prints one JSON line: what the benchmark records of it. Each
stage starting from a fresh interpreter, the memory measured is the stage's own, not what an
earlier stage left in a long-lived process.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def run_stage(stage: str, root: str, run_id: str, build_id: str, committee: str) -> dict:
    from bcd35 import nightly
    from bcd35.config import resolve_home

    home = resolve_home(Path(root))
    if stage == "ingest":
        from bench.run import IngestTimer

        timer, record = IngestTimer(), {}
        started = time.perf_counter()
        with timer.installed():
            nightly.ingest(home, run_id)
        timer.record(record, time.perf_counter() - started)
        quarantined = timer.result.quarantined
        if quarantined:
            record["first_quarantined"] = f"{quarantined[0].original_path}: {quarantined[0].reason}"
        return record
    if stage == "build":
        try:
            return {"build_id": nightly.build(home, run_id)}
        except nightly.NothingChanged:
            return {"build_id": None}
    if stage == "audit":
        nightly.audit(home, run_id, build_id)
        return {}
    if stage == "publish":
        nightly.publish(home, run_id, build_id)
        return {}
    if stage == "report":
        from bench.run import _report

        record = {}
        _report(home, committee, record)
        return {"files": record["rows"]}
    raise SystemExit(f"unknown stage {stage}")


def main(argv: list[str]) -> int:
    stage, root, run_id = argv[:3]
    build_id = argv[3] if len(argv) > 3 else ""
    committee = argv[4] if len(argv) > 4 else ""
    print(json.dumps(run_stage(stage, root, run_id, build_id, committee)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
