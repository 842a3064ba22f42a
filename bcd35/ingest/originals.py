"""Keep every file ever seen, by content: ``HOME/originals/<sha[:2]>/<sha256>``, read-only.

The inbox copy is never touched. The file name is metadata only (kept in the registry); it is
never used to build a path.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from bcd35.config import Home

CHUNK_BYTES = 1024 * 1024
ORIGINAL_MODE = 0o440  # read-only, and not for other users: originals carry personal names


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def original_path(home: Home, sha256: str) -> Path:
    return home.originals / sha256[:2] / sha256


def keep_original(home: Home, sha256: str, data: bytes, *, durable: bool = True) -> Path:
    """Store ``data`` under its hash (temp file, then ``os.replace``, then mode 0440).

    ``durable=False`` leaves the fsync to the caller (the ingestion syncs once per batch of
    files, before it commits their registry rows).
    """
    path = original_path(home, sha256)
    if path.exists() and sha256_hex(path.read_bytes()) == sha256:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, ORIGINAL_MODE)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_regular_file(path: Path, limit: int) -> tuple[bytes | None, int]:
    """``(bytes, size)`` of a regular file; ``(None, size)`` when it is larger than ``limit``.

    Never follows a symbolic link (``OSError``) and never blocks on a FIFO or device
    (``ValueError``): only regular files in the inbox are read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        data = fh.read(limit + 1)
        if len(data) > limit:
            return None, max(info.st_size, len(data))
        return data, len(data)


def keep_large_original(home: Home, source: Path) -> tuple[str, Path]:
    """Hash and store a file too large to read into memory, in chunks; ``(sha256, stored)``."""
    home.originals.mkdir(parents=True, exist_ok=True)
    tmp = home.originals / f".incoming.{os.getpid()}.tmp"
    digest = hashlib.sha256()
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as src, tmp.open("wb") as dst:
            for chunk in iter(lambda: src.read(CHUNK_BYTES), b""):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        sha = digest.hexdigest()
        path = original_path(home, sha)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, ORIGINAL_MODE)
            os.replace(tmp, path)
        return sha, path
    finally:
        tmp.unlink(missing_ok=True)
