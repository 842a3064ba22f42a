"""``kill -9`` of ``bcd35 run`` in ingest, in the dbt build and in the audit: within 5 s no
process of the run is left, nothing holds the registry, and the next run publishes.

The run is started in a session of its own; its children are found by their session id in
/proc (a child re-parented to init keeps it). Only the ``bcd35 run`` process is killed: its
children must go by themselves (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import duckdb

from bcd35.config import resolve_home
from bcd35.warehouse.duckdb import building_path
from tests.support import BCD35, FIXTURES, bcd35, clean_env

NEW_MEETING = FIXTURES / "meeting_log_one_new_meeting.csv"
TOTAL = ("select value from marts.mart_kpi_annual "
         "where year = 2024 and kpi_code = 'hoi_nghi_tong_so'")


def _env(**extra: str) -> dict[str, str]:
    env = clean_env()
    return {**env, **extra}


def _session(sid: int) -> dict[int, str]:
    """pid → command line of every live process of session ``sid``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            found[int(entry.name)] = cmdline
    return found


def _holders_of(path: Path) -> list[int]:
    """Processes with ``path`` open."""
    pids = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == str(path) for fd in fd_dir.iterdir()):
                pids.append(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


def _poll(condition, what: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None:
            assert proc.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _start(home: Path, log: Path, **env: str) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([BCD35, "run", "--home", str(home)], env=_env(**env),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _building(home: Path):
    """A condition: dbt is building the candidate. Its file at the build's fixed path exists
    from the build's start (a copy of the published build, or dbt's first connection) to its
    end; the dbt process is no sign, ``bcd35 run`` parses the project ahead in a process that
    lives from the night's start (bcd35.parse_ahead)."""
    return building_path(resolve_home(home)).exists


def _kill_and_check(proc: subprocess.Popen, home: Path, stage: str) -> dict[int, str]:
    """kill -9 the run; returns its children as they were just before."""
    children = {pid: cmd for pid, cmd in _session(proc.pid).items() if pid != proc.pid}
    os.kill(proc.pid, signal.SIGKILL)  # the run only: its children must follow by themselves
    proc.wait(timeout=30)
    _poll(lambda: not _session(proc.pid), f"no process left after kill -9 in {stage}", 5)
    registry = home / "state" / "bcd35.sqlite"
    assert _holders_of(registry) == [], f"registry still open after kill -9 in {stage}"
    con = sqlite3.connect(registry, timeout=1)
    try:
        con.execute("begin immediate")  # a writer gets it at once
        con.rollback()
    finally:
        con.close()
    return children


def test_kill_9_in_ingest_build_and_audit_leaves_no_process(home_copy: Path, tmp_path: Path):
    inbox = home_copy / "inbox" / "many"
    inbox.mkdir()
    for i in range(80):  # enough files for the ingestion to start worker processes
        shutil.copy(NEW_MEETING, inbox / f"copy_{i:02d}.csv")
    points = tmp_path / "failpoints"
    points.mkdir()
    for point in ("ingest:reading", "audit:running"):
        os.mkfifo(points / f"{point}.fifo")

    # 1. in ingest, two worker processes reading files
    proc = _start(home_copy, tmp_path / "ingest.log", BCD35_FAILPOINT="ingest:reading",
                  BCD35_FAILPOINT_DIR=str(points), BCD35_INGEST_WORKERS="2")
    _poll((points / "ingest:reading.reached").exists, "ingest", 600, proc)
    workers = _kill_and_check(proc, home_copy, "ingest")
    assert len(workers) >= 2, f"the ingestion ran worker processes: {workers}"

    # 2. in the dbt build
    proc = _start(home_copy, tmp_path / "build.log")
    _poll(_building(home_copy), "the dbt build", 600, proc)
    dbt = _kill_and_check(proc, home_copy, "build")
    assert any("dbt" in cmd for cmd in dbt.values()), f"dbt was running: {dbt}"

    # 3. in the audit
    proc = _start(home_copy, tmp_path / "audit.log", BCD35_FAILPOINT="audit:running",
                  BCD35_FAILPOINT_DIR=str(points))
    _poll((points / "audit:running.reached").exists, "the audit", 600, proc)
    _kill_and_check(proc, home_copy, "audit")

    # the next run publishes; the killed runs are abandoned, none failed a check
    again = bcd35(home_copy, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    with duckdb.connect(str(home_copy / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        assert con.sql(TOTAL).fetchone()[0] == 137
    status = bcd35(home_copy, "status").stdout
    assert status.count("abandoned") >= 3, status
    assert "audit_failed" not in status and "build_failed" not in status
    assert bcd35(home_copy, "report", "--year", "2024").returncode == 0


def test_sigterm_stops_the_run_as_abandoned(home_copy: Path, tmp_path: Path):
    shutil.copy(NEW_MEETING, home_copy / "inbox")
    proc = _start(home_copy, tmp_path / "term.log")
    _poll(_building(home_copy), "the dbt build", 600, proc)
    os.kill(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=60) == 7, (tmp_path / "term.log").read_text()
    _poll(lambda: not _session(proc.pid), "no process left after SIGTERM", 5)
    output = (tmp_path / "term.log").read_text()
    assert "ABANDONED" in output and "Traceback" not in output
    status = bcd35(home_copy, "status").stdout
    assert "abandoned" in status and "build_failed" not in status
    assert bcd35(home_copy, "report", "--year", "2024").returncode == 0
