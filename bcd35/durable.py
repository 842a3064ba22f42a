"""Making a rename durable: the directory that holds the new name synced to disk."""

from __future__ import annotations

import os
from pathlib import Path


def sync_directory(path: Path) -> None:
    """fsync the directory ``path``: the names created, replaced or removed in it survive a
    power cut (an fsync of a file covers its data, not its name)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
