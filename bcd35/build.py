"""Build a candidate warehouse: ``dbt build`` into a new DuckDB file.

The candidate is never the file analysts read (that is ``Home.published``); only
``bcd35.publish`` switches to it, and only after the audit passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bcd35.config import DBT_PROJECT_DIR, PSEUDONYM_KEY_ENV, Home, pseudonym_key


class BuildFailed(RuntimeError):
    """dbt failed: the candidate is left for inspection and never published."""

    def __init__(self, candidate: Path, failures: list[str]):
        self.candidate = candidate
        self.failures = failures
        lines = "\n".join(f"  - {f}" for f in failures) or "  (see the dbt log)"
        super().__init__(f"dbt build failed for {candidate.name}:\n{lines}")


@dataclass(frozen=True)
class Build:
    build_id: str
    path: Path
    n_nodes: int


def candidate_path(home: Home, build_id: str) -> Path:
    return home.builds / f"{build_id}.duckdb"


def dbt_env(home: Home, candidate: Path, committee: str) -> dict[str, str]:
    """Environment of the dbt process: paths of this run and the pseudonymisation key."""
    env = dict(os.environ)
    env.update(
        BCD35_CANDIDATE_PATH=str(candidate),
        BCD35_RAW_DIR=str(home.raw),
        BCD35_COMMITTEE=committee,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    env[PSEUDONYM_KEY_ENV] = pseudonym_key(home).decode()
    return env


def dbt_command(home: Home, *args: str) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt), *args,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(home.dbt / "target"),
        "--log-path", str(home.dbt / "logs"),
    ]


def build_candidate(home: Home, build_id: str, committee: str) -> Build:
    """Run ``dbt build`` (seeds, models, data tests) into a new candidate file."""
    home.ensure()
    candidate = candidate_path(home, build_id)
    if candidate.exists():
        raise FileExistsError(f"candidate {candidate} exists already: build ids are single-use")
    proc = subprocess.run(
        dbt_command(home, "build", "--fail-fast"),
        env=dbt_env(home, candidate, committee),
        capture_output=True,
        text=True,
        check=False,
    )
    results = _read_run_results(home)
    failures = [
        f"{r['unique_id']}: {r['status']} — {(r.get('message') or '').strip()}"
        for r in results
        if r["status"] in ("error", "fail", "runtime error")
    ]
    if proc.returncode != 0:
        if not failures:
            failures = [line for line in proc.stdout.splitlines()[-15:] if line.strip()]
        raise BuildFailed(candidate, failures)
    wal = candidate.with_name(candidate.name + ".wal")
    if wal.exists():
        raise BuildFailed(candidate, [f"{wal.name} left behind: the build did not checkpoint"])
    return Build(build_id=build_id, path=candidate, n_nodes=len(results))


def _read_run_results(home: Home) -> list[dict]:
    path = home.dbt / "target" / "run_results.json"
    if not path.exists():
        return []
    return json.loads(path.read_text())["results"]
