"""Keep every file ever seen, by content: ``HOME/originals/<sha[:2]>/<sha256>``, read-only.

The inbox copy is never touched. The file name is metadata only (kept in the registry); it is
never used to build a path.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bcd35.config import Home


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def original_path(home: Home, sha256: str) -> Path:
    return home.originals / sha256[:2] / sha256


def keep_original(home: Home, sha256: str, data: bytes) -> Path:
    """Store ``data`` under its hash (temp file, then ``os.replace``, then mode 0444)."""
    path = original_path(home, sha256)
    if path.exists() and sha256_hex(path.read_bytes()) == sha256:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
