"""Failpoints: named places where a reliability test can stop a real run to kill it.

Inactive unless ``$BCD35_FAILPOINT`` names the point. Then the process writes
``$BCD35_FAILPOINT_DIR/<name>.reached`` and blocks until a line can be read from the FIFO
``$BCD35_FAILPOINT_DIR/<name>.fifo`` — so the test knows exactly where the run is when it
sends ``kill -9``, without sleeping.
"""

from __future__ import annotations

import os
from pathlib import Path

from bcd35.settings import settings


def failpoint(name: str) -> None:
    current = settings()
    if current.failpoint != name:
        return
    directory = Path(current.failpoint_dir or ".")
    (directory / f"{name}.reached").write_text(str(os.getpid()))
    with open(directory / f"{name}.fifo", encoding="utf-8") as fifo:
        fifo.readline()
