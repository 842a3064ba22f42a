"""Write-audit-publish under stress, with real processes (docs/operator.md#checks).

An analyst's long read-only session never blocks the nightly run and keeps seeing its build
until it reconnects; ``kill -9`` during the dbt build or during publish leaves the previous
published build in place, intact, and the next run succeeds; a stale WAL stops a publish;
seven published builds are kept and ``rollback`` returns to the previous one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from bcd35.config import Home
from bcd35.warehouse import KEEP_PUBLISHED, PublishRefused, manifest_path, published_build
from bcd35.warehouse.duckdb import DuckDBWarehouse
from tests.support import BCD35, FIXTURES, bcd35, clean_env, mart_hashes, published_target

NEW_MEETING = FIXTURES / "meeting_log_one_new_meeting.csv"
ZERO_ATTENDEES = FIXTURES / "meeting_log_line2_zero_attendees.csv"
TOTAL = ("select value from marts.mart_kpi_annual "
         "where year = 2024 and kpi_code = 'hoi_nghi_tong_so'")

READER = r"""
import json, select, sys, duckdb
path, query = sys.argv[1], sys.argv[2]
con = duckdb.connect(path, read_only=True)
print(json.dumps({"ready": con.sql(query).fetchone()[0]}), flush=True)
slow = " where (select count(*) from marts.fct_meetings, range(30000)) > 0"
n = 0
while True:
    last = con.sql(f"select * from ({query})" + slow).fetchone()[0]
    n += 1
    if select.select([sys.stdin], [], [], 0)[0]:
        break
con.close()
con = duckdb.connect(path, read_only=True)
print(json.dumps({"before": last, "after": con.sql(query).fetchone()[0], "queries": n}),
      flush=True)
"""


def publish(home: Home, build: Path) -> str:
    """The publish stage of a night, for a build file made by hand (a copy)."""
    return DuckDBWarehouse().publish(home, "test-publish", build.stem)


def rollback(home: Home) -> Path:
    return home.builds / f"{DuckDBWarehouse().rollback(home)}.duckdb"


def _env(**extra: str) -> dict[str, str]:
    env = clean_env()
    env.update(extra)
    return env


def _wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 300) -> None:
    """Poll a filesystem condition of a running process (it signals by creating files)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def _value(home: Path) -> float:
    with duckdb.connect(str(home / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        return con.sql(TOTAL).fetchone()[0]


def test_long_reader_never_blocks_the_run_and_keeps_its_build(home_copy: Path):
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(home_copy / "warehouse" / "bcd35.duckdb"), TOTAL],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = json.loads(reader.stdout.readline())
    shutil.copy(NEW_MEETING, home_copy / "inbox")

    run = bcd35(home_copy, "run")

    reader.stdin.write("stop\n")
    reader.stdin.flush()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert run.returncode == 0, run.stderr
    output = (run.stdout + run.stderr).lower()
    assert "could not set lock" not in output and "database is locked" not in output
    seen = json.loads(out)
    assert seen["queries"] >= 1
    assert ready["ready"] == seen["before"] == 136  # the old build, all along
    assert seen["after"] == 137  # the new build once it reconnects


def _start_run(home: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen([BCD35, "run", "--home", str(home)], env=_env(**env),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _assert_previous_build_intact(home: Path, build: Path, hashes: dict[str, str]) -> None:
    assert published_target(home) == build
    assert mart_hashes(home) == hashes
    assert _value(home) == 136


def test_kill_9_during_dbt_build(home_copy: Path):
    build, hashes = published_target(home_copy), mart_hashes(home_copy)
    before = set((home_copy / "warehouse" / "builds").glob("*.duckdb"))
    shutil.copy(NEW_MEETING, home_copy / "inbox")
    proc = _start_run(home_copy)

    def dbt_writing() -> bool:
        return bool(set((home_copy / "warehouse" / "builds").glob("*.duckdb")) - before)

    _wait_for(dbt_writing, proc, "the dbt build started")
    _kill_group(proc)

    _assert_previous_build_intact(home_copy, build, hashes)
    again = bcd35(home_copy, "run")
    assert again.returncode == 0, again.stderr
    assert _value(home_copy) == 137
    assert "abandoned" in bcd35(home_copy, "status").stdout


def test_kill_9_during_publish(home_copy: Path, tmp_path: Path):
    build, hashes = published_target(home_copy), mart_hashes(home_copy)
    point = "publish:before_switch"
    os.mkfifo(tmp_path / f"{point}.fifo")
    shutil.copy(NEW_MEETING, home_copy / "inbox")
    proc = _start_run(home_copy, BCD35_FAILPOINT=point, BCD35_FAILPOINT_DIR=str(tmp_path))

    _wait_for((tmp_path / f"{point}.reached").exists, proc, "publish")
    _kill_group(proc)

    _assert_previous_build_intact(home_copy, build, hashes)
    again = bcd35(home_copy, "run")
    assert again.returncode == 0, again.stderr
    assert _value(home_copy) == 137


def test_kill_9_in_the_middle_of_a_partial_publish(home_copy: Path, tmp_path: Path):
    """A night that withholds a partition is killed while it copies the withheld partition's
    last good rows into its candidate: analysts stay on the old build, whole."""
    build, hashes = published_target(home_copy), mart_hashes(home_copy)
    point = "publish:keep_withheld"
    os.mkfifo(tmp_path / f"{point}.fifo")
    shutil.copy(ZERO_ATTENDEES, home_copy / "inbox")
    proc = _start_run(home_copy, BCD35_FAILPOINT=point, BCD35_FAILPOINT_DIR=str(tmp_path))

    _wait_for((tmp_path / f"{point}.reached").exists, proc, "the partial publish")
    _kill_group(proc)

    _assert_previous_build_intact(home_copy, build, hashes)
    again = bcd35(home_copy, "run")
    assert again.returncode == 3, again.stdout + again.stderr  # published, 2024 withheld
    assert published_target(home_copy) != build
    assert mart_hashes(home_copy) == hashes, "2024 is the old build's; nothing else moved"


# --- publish mechanics on copies of a real build ------------------------------------------------

def _copies(demo_home: Path, home: Home, n: int, start: int = 0) -> list[Path]:
    """New candidate builds (copies of a real, validated one), named in build order."""
    source = published_target(demo_home)
    home.ensure()
    out = []
    for i in range(start, start + n):
        target = home.builds / f"20240101T{i:06d}Z_test{i:04d}.duckdb"
        shutil.copy(source, target)
        shutil.copy(manifest_path(source), manifest_path(target))
        out.append(target)
    return out


def test_stale_wal_stops_publish(demo_home: Path, tmp_path: Path):
    home = Home(tmp_path / "home")
    first, second = _copies(demo_home, home, 2)
    publish(home, first)
    second.with_name(second.name + ".wal").write_bytes(b"\0" * 4096)
    with pytest.raises(PublishRefused, match="wal"):
        publish(home, second)
    assert published_build(home) == first
    with duckdb.connect(str(home.published), read_only=True) as con:
        assert con.sql(TOTAL).fetchone()[0] == 136


def test_unvalidated_build_is_never_published(demo_home: Path, tmp_path: Path):
    home = Home(tmp_path / "home")
    [build] = _copies(demo_home, home, 1)
    manifest = json.loads(manifest_path(build).read_text())
    manifest["validation"]["success"] = False
    manifest_path(build).write_text(json.dumps(manifest))
    with pytest.raises(PublishRefused, match="validation"):
        publish(home, build)
    assert published_build(home) is None


def test_keeps_seven_builds_and_rolls_back(demo_home: Path, tmp_path: Path):
    home = Home(tmp_path / "home")
    builds = []
    for i in range(KEEP_PUBLISHED + 2):  # as nights do: build one, publish it
        [build] = _copies(demo_home, home, 1, start=i)
        publish(home, build)
        builds.append(build)
    kept = sorted(home.builds.glob("*.duckdb"))
    assert kept == builds[-KEEP_PUBLISHED:]
    assert published_build(home) == builds[-1]

    assert rollback(home) == builds[-2]
    assert published_build(home) == builds[-2]
    done = subprocess.run([BCD35, "rollback", "--home", str(home.root)], env=_env(),
                          capture_output=True, text=True)
    assert done.returncode == 0
    assert builds[-3].stem in done.stdout
    assert published_build(home) == builds[-3]
