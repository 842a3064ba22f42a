"""dbt, run the same way on both engines: its environment, its command line, and what a failed
run says (docs/development.md#the-warehouse-core).

An engine adds only what differs: DuckDB the candidate file and its resources, PostgreSQL the
connection and the key as a libpq option (never part of a statement, a log or the profile).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bcd35 import parse_ahead
from bcd35.children import die_with_parent
from bcd35.config import (
    COMMITTEE_CODE_PATTERN,
    DBT_PROJECT_DIR,
    PSEUDONYM_KEY_ENV,
    Home,
    committees_file,
    pseudonym_key,
)
from bcd35.home_reference import write_for_dbt
from bcd35.lock import holds as holds_writer_lock
from bcd35.preload import while_waiting
from bcd35.warehouse.errors import BuildFailed
from bcd35.warehouse.incremental import RAW_CHANGES_ENV

#: Columns of the committees file dbt reads (the reference seed's, source home.committees).
COMMITTEE_COLUMNS = ("committee_code", "name_vi", "ma_huyen", "ten_huyen", "ma_tinh",
                     "ten_tinh", "timezone")
#: The English names of dim_committee are accepted in HOME/committees.csv too.
COMMITTEE_ALIASES = {"district_code": "ma_huyen", "district_name_vi": "ten_huyen",
                     "province_code": "ma_tinh", "province_name_vi": "ten_tinh"}
COMMITTEES_ENV = "BCD35_COMMITTEES_CSV"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


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


def home_inputs(home: Home) -> dict[str, str]:
    """The home's own inputs as files dbt (DuckDB) reads or the raw loader (PostgreSQL)
    copies: the committee list and the office's reference data, by environment variable."""
    paths = {COMMITTEES_ENV: str(write_committees_for_dbt(home))}
    paths.update(write_for_dbt(home)[0])
    return paths


def dbt_env(home: Home, committee: str, engine: dict[str, str]) -> dict[str, str]:
    """Environment of a dbt process: this run's paths and committee, the key, no telemetry,
    then what the engine adds (``engine``)."""
    env = dict(os.environ)
    env.pop(RAW_CHANGES_ENV, None)  # a full build unless the engine hands dbt a change list
    env.update(home_inputs(home))
    env.update(
        BCD35_RAW_DIR=str(home.raw),
        BCD35_COMMITTEE=committee,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    env[PSEUDONYM_KEY_ENV] = pseudonym_key(home).decode()
    env.update(engine)
    return env


def target_dir(home: Home, target: str) -> Path:
    return home.dbt / ("target" if target == "duckdb" else f"target_{target}")


def dbt_flags(home: Home, target: str = "duckdb") -> list[str]:
    """The options every dbt command of a home takes (after its subcommand)."""
    logs = home.dbt / ("logs" if target == "duckdb" else f"logs_{target}")
    return [
        "--target", target,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_dir(home, target)),
        "--log-path", str(logs),
    ]


def dbt_command(home: Home, *args: str, target: str = "duckdb") -> list[str]:
    return [str(Path(sys.executable).with_name("dbt")), *args, *dbt_flags(home, target)]


def start_parse_ahead(home: Home, env: dict[str, str], target: str) -> None:
    """When this process holds the home's writer lock (``bcd35 run``), start parsing the
    project for the build that will run in ``env`` (:mod:`bcd35.parse_ahead`): the build
    finds it parsed. Elsewhere (a task process of its own, a build run alone) nothing."""
    if holds_writer_lock(home):
        parse_ahead.start(home, target, env, dbt_flags(home, target))


#: A night's build runs no dbt unit test: their inputs are fixed rows, so they test the
#: project's code, not the night's data, and the code does not change from night to night.
#: dbt Labs advise running them in development and CI only; ``make test`` runs them on both
#: engines (tests/dbt/test_unit_tests.py). Their 19 unit tests took 8.6 s of dbt's thread time
#: in a province build, about 2.7 s of a small home's (docs/performance.md).
NIGHTLY_EXCLUDES = ("--exclude-resource-type", "unit_test")


def run_build(home: Home, candidate: Path | str, env: dict[str, str], target: str,
              *extra: str) -> list[dict]:
    """``dbt build --fail-fast`` (seeds, models, data tests; no unit test: NIGHTLY_EXCLUDES);
    the run's results, or :class:`BuildFailed` naming each failed node (else the end of dbt's
    output).

    dbt dies with this process (a ``kill -9`` of the run must not leave it writing an
    abandoned candidate); on SIGTERM/SIGINT (an exception in the wait) it is killed before
    this raises."""
    results_path = target_dir(home, target) / "run_results.json"
    results_path.unlink(missing_ok=True)  # never read an earlier run's results
    args = ("build", "--fail-fast", *NIGHTLY_EXCLUDES, *extra)
    # the dbt process that parsed the project ahead for this very build (`bcd35 run`) is
    # handed the command line; else dbt starts now
    proc, given = parse_ahead.take(home, target, env), None
    if proc is not None:
        given = parse_ahead.command((*args, *dbt_flags(home, target)))
    else:
        proc = subprocess.Popen(
            dbt_command(home, *args, target=target),
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=partial(die_with_parent, os.getpid()))
    # subprocess.run, with the audit's imports preloaded during the wait (`bcd35 run`): the
    # preload thread starts once dbt is spawned, never while the fork runs preexec_fn
    with proc, while_waiting():
        try:
            stdout, _ = proc.communicate(given)
        except BaseException:
            proc.kill()
            raise
    results = (json.loads(results_path.read_text())["results"]
               if results_path.exists() else [])
    failures = [f"{r['unique_id']}: {r['status']} — {(r.get('message') or '').strip()}"
                for r in results if r["status"] in ("error", "fail", "runtime error")]
    if proc.returncode != 0:
        if not failures:
            failures = [line for line in stdout.splitlines()[-15:] if line.strip()]
        raise BuildFailed(candidate, failures)
    return results
