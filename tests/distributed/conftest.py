"""The distributed deployment for real: PostgreSQL, Redis, the Airflow api-server, scheduler,
dag-processor and two Celery workers as processes on loopback (``tests.harness.cluster``).

These tests run under ``make test-distributed`` (``scripts/test-distributed``, which installs
Redis and PostgreSQL from Debian packages when missing and sets ``BCD35_DISTRIBUTED=1``); a
plain ``pytest`` run skips them. The cluster is started once for the module; whatever
happens, every process it started is stopped by PID, and the test session fails if one
survives. Measured timings are printed at the end and written to
``bench/results/test-distributed.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BCD35 = str(Path(sys.executable).with_name("bcd35"))
DAG_ID = "bcd35_nightly"
TIMINGS: dict[str, float | str] = {}
REPORT = REPO / "bench" / "results" / "test-distributed.json"


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BCD35_DISTRIBUTED") == "1":
        return
    skip = pytest.mark.skip(reason="the distributed test runs with `make test-distributed`")
    for item in items:
        if "tests/distributed/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


def record(name: str, value: float | str) -> None:
    TIMINGS[name] = round(value, 2) if isinstance(value, float) else value


@pytest.fixture(scope="session")
def cluster(request):
    from tests.harness.cluster import LocalCluster
    from tests.harness.services import tail

    root = Path(tempfile.mkdtemp(prefix="bcd35-distributed-"))
    started = time.monotonic()
    manager = LocalCluster.started(root / "cluster", workers=2, cron=False)
    running = None
    failed = True
    try:
        running = manager.__enter__()
        for name, seconds in running.timings.items():
            record(f"start: {name}", seconds)
        record("start: whole cluster", time.monotonic() - started)
        yield running
        failed = request.session.testsfailed > 0
    finally:
        stopping = time.monotonic()
        manager.__exit__(None, None, None)
        record("stop: whole cluster", time.monotonic() - stopping)
        if running is not None:
            leftovers = running.leftovers()
            TIMINGS["leftover pids"] = str(leftovers)
            if failed or leftovers:
                logs = root / "cluster" / "logs"
                for log in sorted(logs.glob("*.log")) if logs.exists() else []:
                    print(f"\n--- {log.name} (last lines)\n{tail(log, 25)}", file=sys.stderr)
            assert not leftovers, f"processes still running after the clean-up: {leftovers}"
        if not failed or os.environ.get("CI"):
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"\nthe failed cluster's files are kept in {root}", file=sys.stderr)


def pytest_terminal_summary(terminalreporter):
    if not TIMINGS:
        return
    terminalreporter.write_sep("-", "bcd35 distributed: measured timings (seconds)")
    for name, value in TIMINGS.items():
        terminalreporter.write_line(f"{name:<55} {value}")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(TIMINGS, indent=1, ensure_ascii=False) + "\n")
