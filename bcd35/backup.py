"""``bcd35 backup DEST`` and ``bcd35 restore SRC --home DIR``: a consistent copy of a home.

Safe while a night runs, without waiting for it (it does not take the writer lock):
- the registry and run log (SQLite) are copied with SQLite's online backup API, a consistent
  snapshot even while a writer is in the middle of a transaction;
- the published build is the file the ``warehouse/bcd35.duckdb`` link pointed at when the
  backup started: a build is a separate file, never written again once published, so copying
  it while a night writes the next candidate is safe (the candidate is not copied). On
  PostgreSQL it is the local copy of the published schemas (the engine's readers' file), and
  the restored home reads it with the embedded engine; the database itself is backed up with
  ``pg_dump``;
- originals are content-addressed and never change; releases are read-only; the inbox, the raw
  layer, the quarantine reports, the office's reference data are copied as they are (a file
  that a night removes meanwhile is left out: the next night after a restore reconciles the
  raw layer with the registry and the inbox, as every night does).
The secrets (pseudonym key, passwords) only with ``--with-secrets``: without them a restored
home generates a new pseudonym key, and its pseudonyms differ from the old ones.

``BACKUP.json`` lists every file with its sha256; ``restore`` checks them all before it writes
anything, into a home that does not exist yet or is empty.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bcd35.config import Home, code_version
from bcd35.release import sha256_file
from bcd35.warehouse import fingerprint_path, manifest_path, published_build

MANIFEST = "BACKUP.json"
TREES = ("inbox", "originals", "raw", "quarantine", "releases", "reference")
FILES = ("committees.csv",)


class BackupError(RuntimeError):
    pass


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy what is there now; a file removed meanwhile is skipped (a night may withdraw)."""
    if not src.is_dir():
        return

    def copy(a, b):
        try:
            return shutil.copy2(a, b)
        except FileNotFoundError:
            return b

    shutil.copytree(src, dst, symlinks=True, copy_function=copy, dirs_exist_ok=True)


def _empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def backup(home: Home, dest: Path, with_secrets: bool = False) -> dict:
    if not _empty(dest):
        raise BackupError(f"{dest} đã có nội dung; chọn thư mục mới / is not empty; choose a new "
                          "folder")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    started = datetime.now(UTC).replace(microsecond=0)
    # the build first: what analysts open at this moment (on PostgreSQL, the local copy of
    # the published schemas; the database itself is backed up with pg_dump)
    build = published_build(home)
    if build is not None:
        builds = dest / "warehouse" / "builds"
        builds.mkdir(parents=True)
        for part in (build, manifest_path(build), fingerprint_path(build),
                     build.with_suffix(".reference.json")):
            if part.exists():
                shutil.copy2(part, builds / part.name)
        (dest / "warehouse" / "published.json").write_text(json.dumps([build.name]))
        os.symlink(os.path.relpath(builds / build.name, dest / "warehouse"),
                   dest / "warehouse" / "bcd35.duckdb")
    (dest / "state").mkdir(exist_ok=True)
    if home.state_db.exists():
        source = sqlite3.connect(f"file:{home.state_db}?mode=ro", uri=True)
        target = sqlite3.connect(dest / "state" / home.state_db.name)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    for name in TREES:
        _copy_tree(home.root / name, dest / name)
    for name in FILES:
        if (home.root / name).is_file():
            shutil.copy2(home.root / name, dest / name)
    if with_secrets and home.secrets_dir.is_dir():
        _copy_tree(home.secrets_dir, dest / "secrets")
    files = {p.relative_to(dest).as_posix(): sha256_file(p)
             for p in sorted(dest.rglob("*")) if p.is_file() and not p.is_symlink()}
    doc = {"home": str(home.root), "started_at": started.isoformat(),
           "build": build.name if build else None, "with_secrets": with_secrets,
           "code_version": code_version(), "files": files}
    (dest / MANIFEST).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                 encoding="utf-8")
    return doc


def restore(src: Path, home: Home) -> dict:
    doc = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    bad = [name for name, sha in doc["files"].items()
           if not (src / name).is_file() or sha256_file(src / name) != sha]
    if bad:
        raise BackupError("bản sao lưu bị hỏng / the backup is damaged: " + ", ".join(bad[:10]))
    if not _empty(home.root):
        raise BackupError(f"{home.root} đã có nội dung; khôi phục vào thư mục mới / is not "
                          "empty; restore into a new folder")
    home.root.mkdir(parents=True, exist_ok=True, mode=0o750)
    for entry in sorted(src.iterdir()):
        if entry.name == MANIFEST:
            continue
        if entry.is_dir():
            shutil.copytree(entry, home.root / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, home.root / entry.name)
    home.ensure()
    return doc
