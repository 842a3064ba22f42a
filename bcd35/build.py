"""Build a candidate warehouse: ``dbt build`` into a new DuckDB file.

The candidate is never the file analysts read (that is ``Home.published``); only
``bcd35.publish`` switches to it, and only after the audit passed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bcd35.children import die_with_parent
from bcd35.config import (
    COMMITTEE_CODE_PATTERN,
    DBT_PROJECT_DIR,
    PSEUDONYM_KEY_ENV,
    Home,
    committees_file,
    pseudonym_key,
)
from bcd35.settings import settings


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


def reference_report_path(build: Path) -> Path:
    """The office's reference data a build read, and the rows it refused (JSON)."""
    return build.with_suffix(".reference.json")


#: DuckDB's memory limit for the build (dbt_project/profiles.yml), overridable per machine:
#: with 2GB the dbt process peaks at 2.6 GiB at province scale; at national scale it grows to
#: 5.1 GiB, past the limit (Parquet footers, the Python UDF: docs/performance.md). The
#: setting BCD35_DUCKDB_MEMORY_LIMIT (default 2GB, docs/settings.md) is handed to dbt here.
DUCKDB_MEMORY_LIMIT_ENV = "BCD35_DUCKDB_MEMORY_LIMIT"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: Columns of the committees file dbt reads (the reference seed's, source home.committees).
COMMITTEE_COLUMNS = ("committee_code", "name_vi", "ma_huyen", "ten_huyen", "ma_tinh",
                     "ten_tinh", "timezone")
#: The English names of dim_committee are accepted in HOME/committees.csv too.
COMMITTEE_ALIASES = {"district_code": "ma_huyen", "district_name_vi": "ten_huyen",
                     "province_code": "ma_tinh", "province_name_vi": "ten_tinh"}


def write_committees_for_dbt(home: Home) -> Path:
    """``HOME/dbt/committees.csv``: the committees of ``HOME/committees.csv`` with the full
    column set of the reference seed (missing columns empty), codes that are not valid
    committee codes left out (as :func:`bcd35.config.known_committees` does), the first row
    of a code winning, and the listing's modification time as ``_loaded_at``. Header only
    when the home lists no committees. dbt reads it as the source ``home.committees``."""
    listing = committees_file(home)
    pattern = re.compile(COMMITTEE_CODE_PATTERN)
    rows: dict[str, dict[str, str]] = {}
    loaded_at = ""
    if listing.is_file():
        loaded_at = datetime.fromtimestamp(listing.stat().st_mtime, UTC).strftime(
            "%Y-%m-%d %H:%M:%S")
        with listing.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                fields = {COMMITTEE_ALIASES.get((k or "").strip(), (k or "").strip()):
                          (v or "").strip() for k, v in row.items() if isinstance(v, str)}
                code = fields.get("committee_code", "")
                if pattern.match(code) and code not in rows:
                    rows[code] = fields
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*COMMITTEE_COLUMNS, "_loaded_at"))
    for fields in rows.values():
        writer.writerow((*(fields.get(c, "") for c in COMMITTEE_COLUMNS), loaded_at))
    path = home.dbt / "committees.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(path)
    return path


def dbt_env(home: Home, candidate: Path, committee: str) -> dict[str, str]:
    """Environment of the dbt process: paths of this run, the resources DuckDB may use and
    the pseudonymisation key. Resource settings already in the environment win."""
    env = dict(os.environ)
    cores = str(usable_cores())
    current = settings()
    env[DUCKDB_MEMORY_LIMIT_ENV] = current.duckdb_memory_limit
    env["BCD35_DUCKDB_THREADS"] = str(current.duckdb_threads or cores)
    env["BCD35_DBT_THREADS"] = str(current.dbt_threads or cores)
    env.update(
        BCD35_CANDIDATE_PATH=str(candidate),
        BCD35_RAW_DIR=str(home.raw),
        BCD35_COMMITTEES_CSV=str(write_committees_for_dbt(home)),
        BCD35_COMMITTEE=committee,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    env[PSEUDONYM_KEY_ENV] = pseudonym_key(home).decode()
    from bcd35.home_reference import write_for_dbt

    env.update(write_for_dbt(home)[0])
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
    env = dbt_env(home, candidate, committee)
    # what the office's reference files gave and which rows were refused, for the audit
    shutil.copyfile(home.dbt / "home_reference.json", reference_report_path(candidate))
    # dbt dies with this process (a `kill -9` of the run must not leave it writing the
    # abandoned candidate); on SIGTERM/SIGINT (Stopped), subprocess.run kills it before raising
    proc = subprocess.run(
        dbt_command(home, "build", "--fail-fast"),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=partial(die_with_parent, os.getpid()),
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
