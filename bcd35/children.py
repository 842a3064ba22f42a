"""Child processes die with their parent, and a stopped run stops at once.

``kill -9`` of ``bcd35 run`` cannot be caught, so each child asks the kernel to kill it when
its parent dies (Linux ``PR_SET_PDEATHSIG``): the ingestion's worker processes and the dbt
process never outlive the run, never keep writing an abandoned candidate and never keep the
registry open. ``SIGTERM`` and ``SIGINT`` (``kill``, Ctrl-C, a service manager) become
:class:`Stopped` in the writing stages, which record the run as abandoned (not as a failure)
and let the stage's own clean-up (``subprocess.run`` kills dbt, the pool is terminated) run.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from bcd35.outcomes import Outcome

_PR_SET_PDEATHSIG = 1
#: Set by ``bcd35 run`` to its pid: a stage stopped inside it ends the process at once (exit
#: 7) once the stage has cleaned up and recorded the run, rather than letting Airflow's task
#: runner log the stop as a task failure and retry it.
EXIT_ON_STOP_ENV = "BCD35_EXIT_ON_STOP"


class Stopped(BaseException):  # noqa: N818 - a BaseException: no `except Exception` eats it
    """The process received SIGTERM or SIGINT."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"dừng bởi tín hiệu / stopped by signal {signal.Signals(signum).name}")


def die_with_parent(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child process of ``parent``: be sent ``sig`` when it dies (a no-op off Linux).

    Called between fork and exec (``preexec_fn``) or first thing in a forked worker. If the
    parent died before the call, the child exits now.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


def worker_start(parent: int) -> None:
    """First thing in a forked worker: die with the parent and take SIGTERM's default action
    (the parent's handlers, Airflow's among them, would otherwise make it ignore SIGTERM)."""
    die_with_parent(parent)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Stopped` in the main thread while inside."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for s in previous:
        signal.signal(s, _raise_stopped)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def exit_if_run_by_cli(message: str) -> None:
    """In ``bcd35 run``'s own process: say why and end it now (see :data:`EXIT_ON_STOP_ENV`).
    The kernel releases the writer lock; children die with the process."""
    if os.environ.get(EXIT_ON_STOP_ENV) != str(os.getpid()):
        return
    print(f"BỊ NGẮT / ABANDONED: {message}; không công bố gì / nothing published",
          file=sys.stderr, flush=True)
    sys.stdout.flush()
    os._exit(int(Outcome.ABANDONED))
