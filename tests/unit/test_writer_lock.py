"""One writer per home: the lock, the second writer's exit code, the exit code table."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bcd35 import runs
from bcd35.config import Home
from bcd35.lock import HomeBusy, is_held, writer_lock
from bcd35.outcomes import DESCRIPTIONS, PRECEDENCE, Outcome, most_serious, render_table
from tests.support import BCD35, REPO, clean_env

HOLD = ("import sys; from pathlib import Path; from bcd35.config import Home; "
        "from bcd35.lock import writer_lock\n"
        "with writer_lock(Home(Path(sys.argv[1])), 'test holder', wait=0):\n"
        "    print('held', flush=True); sys.stdin.readline()")


def _holder(home: Home) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(home.root)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"  # the pipe says when it holds the lock
    return proc


def _release(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()
    proc.wait(timeout=30)


def test_a_second_writer_waits_then_gives_up(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    holder = _holder(home)
    try:
        assert is_held(home)
        told = []
        started = time.monotonic()
        with pytest.raises(HomeBusy, match="test holder"), \
                writer_lock(home, "second", wait=0.5, on_wait=told.append):
            pass
        assert time.monotonic() - started >= 0.5
        assert told and "test holder" in told[0]
    finally:
        _release(holder)
    assert not is_held(home)
    with writer_lock(home, "after", wait=0):
        assert is_held(home)


def test_the_lock_is_reentrant_in_one_process(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    with writer_lock(home, "outer", wait=0), writer_lock(home, "inner", wait=0):
        assert is_held(home)
    assert not is_held(home)


def test_the_kernel_releases_the_lock_of_a_killed_holder(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    holder = _holder(home)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    with writer_lock(home, "next", wait=5):
        assert is_held(home)


def test_bcd35_run_on_a_held_home_exits_6_and_does_nothing(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    holder = _holder(home)
    before = sorted(p.relative_to(home.root) for p in home.root.rglob("*"))
    try:
        done = subprocess.run([BCD35, "run", "--home", str(home.root), "--wait", "0.5"],
                              env=clean_env(), capture_output=True, text=True, timeout=120)
        rollback = subprocess.run([BCD35, "rollback", "--home", str(home.root), "--wait", "0"],
                                  env=clean_env(), capture_output=True, text=True, timeout=120)
    finally:
        _release(holder)
    assert done.returncode == Outcome.LOCKED == 6, done.stdout + done.stderr
    assert "test holder" in done.stderr and "Waiting" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert rollback.returncode == 6, rollback.stderr
    after = sorted(p.relative_to(home.root) for p in home.root.rglob("*"))
    assert after == before  # nothing built, pruned or recorded: not even a run log
    assert not home.state_db.exists() or runs.recent(home) == []


def test_most_serious_outcome_wins():
    assert most_serious(set()) == Outcome.PUBLISHED
    assert most_serious({Outcome.QUARANTINED}) == Outcome.QUARANTINED
    assert most_serious({Outcome.QUARANTINED, Outcome.WITHDRAWALS_PENDING}) == 5
    assert most_serious({Outcome.QUARANTINED, Outcome.WITHHELD, Outcome.BLOCKED}) == 1
    assert most_serious({Outcome.BLOCKED, Outcome.ABANDONED}) == Outcome.ABANDONED
    assert set(PRECEDENCE) == set(Outcome) == set(DESCRIPTIONS)


def test_the_readme_and_help_carry_the_exit_code_table():
    readme = (REPO / "docs" / "operator.md").read_text(encoding="utf-8")
    assert render_table(markdown=True) in readme
    done = subprocess.run([BCD35, "run", "--help"], env=clean_env(), capture_output=True, text=True)
    for outcome, (vi, en) in DESCRIPTIONS.items():
        assert re.search(rf"^\s*{int(outcome)}\s+{re.escape(vi)}", done.stdout, re.M)
        assert en in done.stdout.replace("\n", " ").replace("  ", " ") or en[:20] in done.stdout


def test_a_child_of_the_holder_is_covered_and_a_stranger_is_not(tmp_path: Path):
    home = Home(tmp_path / "home").ensure()
    take = ("import sys; from pathlib import Path; from bcd35.config import Home; "
            "from bcd35.lock import HomeBusy, writer_lock\n"
            "try:\n"
            "    with writer_lock(Home(Path(sys.argv[1])), 'child', wait=0): print('took')\n"
            "except HomeBusy: print('busy')")
    with writer_lock(home, "parent", wait=0):
        child = subprocess.run([sys.executable, "-c", take, str(home.root)],
                               capture_output=True, text=True, timeout=60)
        stranger = subprocess.run([sys.executable, "-c", take, str(home.root)],
                                  env=clean_env(), capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == "took", child.stderr  # the DAG's tasks under `bcd35 run`
    assert stranger.stdout.strip() == "busy", stranger.stderr
