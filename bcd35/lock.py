"""One writer per home: an advisory lock on ``HOME/state/writer.lock``.

Everything that writes a home (``bcd35 run`` for its whole run, each writing task of the
nightly DAG when Airflow runs it on its own, ``rollback``, and any later writer) holds
:func:`writer_lock` while it writes. The kernel releases the lock when the holder's process
dies, however it dies, so a killed run never leaves the home locked.

The lock is re-entrant within a process: ``bcd35 run`` holds it and then runs the DAG's
tasks in the same process (``dag.test()``), which take it again without waiting for
themselves. A child process started by the holder (``BCD35_WRITER_LOCK_HOLDER`` names the
holder's pid) is covered by its parent's lock.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bcd35.config import Home

HOLDER_ENV = "BCD35_WRITER_LOCK_HOLDER"
DEFAULT_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.2

_held: dict[Path, int] = {}  # lock file → depth, in this process


class HomeBusy(RuntimeError):  # noqa: N818 - an outcome the operator sees
    """Another writer held the home for the whole wait."""

    def __init__(self, home: Home, holder: str, waited: float):
        self.holder = holder
        super().__init__(
            f"Thư mục {home.root} đang được một tiến trình khác ghi ({holder}); đã chờ "
            f"{waited:.0f} giây. Lần chạy này không làm gì; hãy chạy lại sau. / "
            f"Another writer holds {home.root} ({holder}); waited {waited:.0f} s. This run did "
            "nothing; run it again later.")


def lock_path(home: Home) -> Path:
    return home.state / "writer.lock"


def holder(home: Home) -> str:
    """Who holds (or last held) the lock, as it wrote itself into the lock file."""
    try:
        info = json.loads(lock_path(home).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return "?"
    return f"pid {info.get('pid', '?')}, {info.get('what', '?')}, từ / since {info.get('since')}"


def _covered_by_parent() -> bool:
    marker = os.environ.get(HOLDER_ENV, "")
    return marker.isdigit() and int(marker) == os.getppid() and int(marker) != os.getpid()


@contextmanager
def writer_lock(home: Home, what: str, wait: float = DEFAULT_WAIT_SECONDS,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the home's writer lock; wait at most ``wait`` seconds for it, else
    :class:`HomeBusy`. ``on_wait(holder)`` is called once when the wait begins."""
    path = lock_path(home)
    if path in _held or _covered_by_parent():
        _held[path] = _held.get(path, 0) + 1
        try:
            yield
        finally:
            _held[path] -= 1
            if not _held[path]:
                del _held[path]
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
    try:
        _acquire(fd, home, wait, on_wait)
        os.ftruncate(fd, 0)
        since = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "what": what, "since": since}).encode(),
                  0)
        _held[path] = 1
        previous = os.environ.get(HOLDER_ENV)
        os.environ[HOLDER_ENV] = str(os.getpid())
        try:
            yield
        finally:
            del _held[path]
            if previous is None:
                os.environ.pop(HOLDER_ENV, None)
            else:
                os.environ[HOLDER_ENV] = previous
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, home: Home, wait: float, on_wait: Callable[[str], None] | None) -> None:
    started = time.monotonic()
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        waited = time.monotonic() - started
        if waited >= wait:
            raise HomeBusy(home, holder(home), waited)
        if not told and on_wait is not None:
            on_wait(holder(home))
            told = True
        time.sleep(min(_POLL_SECONDS, max(0.0, wait - waited)))  # polling a lock, not a sync


def holds(home: Home) -> bool:
    """Whether this process holds the home's lock (not a child covered by its parent's)."""
    return lock_path(home) in _held


def is_held(home: Home) -> bool:
    """Whether some process holds the lock now (a quick probe; for status and tests)."""
    path = lock_path(home)
    if path in _held:
        return True
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
