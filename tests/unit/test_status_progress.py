"""Progress of long CLI steps: plain lines when not on a terminal (CI logs), spinner on one."""

from __future__ import annotations

import io
import threading
import time

from bcd35 import runs
from bcd35.config import Home
from bcd35.operator.progress import STAGES, current_stage, run_progress, spinner


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _fake_nightly(home: Home, run_id: str, stages: list[str], pause: float = 0.7) -> None:
    runs.start(home, run_id)
    for stage in stages:
        runs.update(home, run_id, stage=stage)
        time.sleep(pause)
    runs.update(home, run_id, status="published", stage="done")
    time.sleep(pause)


def test_run_progress_prints_one_line_per_stage_without_a_terminal(tmp_path):
    home = Home(tmp_path / "h").ensure()
    runs.start(home, "old_run")  # a run from before must not be taken for this one
    runs.update(home, "old_run", status="published", stage="done")
    out = io.StringIO()
    with run_progress(home, stream=out):
        _fake_nightly(home, "new_run", ["ingest", "build", "audit", "publish"])
    lines = out.getvalue().splitlines()
    assert "\x1b[" not in out.getvalue()
    for stage in ("ingest", "build", "audit", "publish"):
        assert sum(STAGES[stage] in line for line in lines) == 1, lines
    assert lines[0].endswith("bcd35 run") and lines[-1].endswith("xong / done")
    assert all(line.startswith("[") for line in lines)


def test_current_stage_ignores_runs_from_before(tmp_path):
    home = Home(tmp_path / "h").ensure()
    runs.start(home, "before")
    assert current_stage(home, frozenset({"before"})) is None
    runs.start(home, "now")
    runs.update(home, "now", stage="build")
    assert current_stage(home, frozenset({"before"})) == "build"


def test_spinner_without_a_terminal_prints_start_and_end():
    out = io.StringIO()
    with spinner("Đang lập báo cáo / writing the report", stream=out):
        pass
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].endswith("xong / done")


def test_spinner_on_a_terminal_draws_and_finishes(tmp_path):
    out = FakeTty()
    with spinner("Đang khởi động / starting", stream=out) as shown:
        shown.update("bước 1 / step 1")
    assert "Đang khởi động / starting" in out.getvalue()
    assert threading.active_count() < 50  # the ticking thread is gone
    assert not [t for t in threading.enumerate() if t.name == "bcd35-spinner"]
