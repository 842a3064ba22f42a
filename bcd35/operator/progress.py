"""Progress on the terminal for the long CLI steps (rich), sane in CI logs.

- :func:`spinner`: one step ("writing the report…") with the time it has taken.
- :func:`run_progress`: the stage of the nightly run under way (``bcd35 run`` executes the DAG
  in-process through ``dag.test()``, and every stage records itself in :mod:`bcd35.runs`), read
  by a thread every half second.

On a terminal both draw a transient rich spinner on stderr. Anywhere else (a pipe, a CI log)
they print one plain line per change (``[  12s] bcd35 run: build — …``) and nothing else, so
logs stay readable and stdout stays what the command prints.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console

from bcd35 import runs
from bcd35.config import Home

STAGES = {
    "ingest": "nạp tệp từ inbox / ingest",
    "build": "dựng kho dữ liệu (dbt) / build",
    "audit": "kiểm tra số liệu (Great Expectations) / audit",
    "publish": "công bố / publish",
    "done": "xong / done",
}
POLL_S = 0.5


def _interactive(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Reporter:
    """Shows a changing message: a live spinner on a terminal, one line per change elsewhere."""

    def __init__(self, title: str, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.title = title
        self.started = time.monotonic()
        self.message = ""
        self.status = None
        if _interactive(self.stream):
            self.status = Console(file=self.stream).status(title, spinner="dots")

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.started:5.0f}s"

    def __enter__(self) -> _Reporter:
        if self.status is not None:
            self.status.__enter__()
        else:
            print(f"[{self.elapsed()}] {self.title}", file=self.stream, flush=True)
        return self

    def update(self, message: str) -> None:
        if message == self.message:
            if self.status is not None:  # keep the clock moving
                self.status.update(f"{self.title}: {message}  [{self.elapsed().strip()}]")
            return
        self.message = message
        if self.status is not None:
            self.status.update(f"{self.title}: {message}  [{self.elapsed().strip()}]")
        else:
            print(f"[{self.elapsed()}] {self.title}: {message}", file=self.stream, flush=True)

    def __exit__(self, *exc) -> None:
        if self.status is not None:
            self.status.__exit__(*exc)
            Console(file=self.stream).print(f"{self.title} ({self.elapsed().strip()})",
                                            highlight=False)
        else:
            print(f"[{self.elapsed()}] {self.title}: "
                  f"{'xong / done' if exc[0] is None else 'dừng / stopped'}",
                  file=self.stream, flush=True)


@contextmanager
def spinner(title: str, stream: TextIO | None = None) -> Iterator[_Reporter]:
    """A spinner (terminal) or a start and an end line (elsewhere) around one step."""
    reporter = _Reporter(title, stream)
    with reporter:
        if reporter.status is None:
            yield reporter
            return
        stop = threading.Event()

        def tick() -> None:  # keep the elapsed time moving
            while not stop.wait(1.0):
                reporter.update(reporter.message or "…")

        thread = threading.Thread(target=tick, name="bcd35-spinner", daemon=True)
        thread.start()
        try:
            yield reporter
        finally:
            stop.set()
            thread.join(2)


def current_stage(home: Home, since_run_ids: frozenset[str]) -> str | None:
    """The stage of the newest run not among ``since_run_ids`` (the runs before this one)."""
    try:
        latest = runs.recent(home, limit=1)
    except Exception:  # the state DB may be busy or not there yet: try again next tick
        return None
    if not latest or latest[0].run_id in since_run_ids:
        return None
    return latest[0].stage


@contextmanager
def run_progress(home: Home, stream: TextIO | None = None,
                 title: str = "bcd35 run") -> Iterator[None]:
    """While the body runs the nightly DAG, show which stage the new run is in."""
    before = frozenset(r.run_id for r in runs.recent(home, limit=50))
    stop = threading.Event()
    reporter = _Reporter(title, stream)

    def poll() -> None:
        reporter.update("khởi động Airflow / starting Airflow")
        while not stop.wait(POLL_S):
            stage = current_stage(home, before)
            if stage is not None:
                reporter.update(STAGES.get(stage, stage))
            elif reporter.status is not None:
                reporter.update(reporter.message)

    with reporter:
        thread = threading.Thread(target=poll, name="bcd35-run-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(5)
