"""Publish a validated candidate: an atomic switch of the file analysts open.

``Home.published`` is a symlink to ``builds/<build_id>.duckdb``. Publishing writes the
build's manifest next to it, then replaces the symlink with ``os.replace`` (atomic on
POSIX): a reader that already has the old build open keeps it until it reconnects, a new
reader gets the new one, nobody ever sees a half-written file, and the writer never waits
for a reader.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from bcd35.config import Home
from bcd35.failpoints import failpoint

KEEP_PUBLISHED = 7


class PublishRefused(RuntimeError):
    pass


def manifest_path(build: Path) -> Path:
    return build.with_suffix(".json")


def fingerprint_path(build: Path) -> Path:
    """What the build was made from (:mod:`bcd35.fingerprint`), written by the build stage."""
    return build.with_suffix(".fingerprint")


def data_docs_dir(build: Path) -> Path:
    """The Great Expectations Data Docs site of the audit of ``build``."""
    return build.with_suffix(".datadocs")


def read_manifest(build: Path) -> dict:
    return json.loads(manifest_path(build).read_text(encoding="utf-8"))


def write_manifest(build: Path, manifest: dict) -> None:
    path = manifest_path(build)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, path)


def published_build(home: Home) -> Path | None:
    """The build file analysts currently open, or None before the first publish."""
    link = home.published
    if not link.is_symlink():
        return None
    return (link.parent / os.readlink(link)).resolve()


def publish(home: Home, build: Path) -> Path:
    """Switch analysts to ``build``; it must carry a manifest whose validation passed."""
    wal = build.with_name(build.name + ".wal")
    if wal.exists():
        raise PublishRefused(f"{wal} exists: the candidate was not closed cleanly; not publishing")
    manifest = read_manifest(build)
    if not manifest.get("validation", {}).get("success"):
        raise PublishRefused(f"{build.name} did not pass validation; not publishing")
    with duckdb.connect(str(build), read_only=True) as con:  # it opens and has the marts
        con.sql("select count(*) from marts.mart_kpi_annual").fetchone()
    failpoint("publish:before_switch")
    _switch(home.published, build)
    _push(home, build)
    prune(home)
    return build


def rollback(home: Home) -> Path:
    """Retract the current build and return analysts to the one published before it."""
    stack = _read_stack(home)
    current = published_build(home)
    if current is not None and stack and stack[-1] == current.name:
        stack.pop()
    while stack and not (home.builds / stack[-1]).exists():
        stack.pop()
    if current is None or not stack:
        raise PublishRefused("no earlier published build to roll back to")
    target = home.builds / stack[-1]
    _switch(home.published, target)
    _write_stack(home, stack)
    return target


def _switch(link: Path, target: Path) -> None:
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)
    fd = os.open(link.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _stack_file(home: Home) -> Path:
    return home.warehouse / "published.json"


def _read_stack(home: Home) -> list[str]:
    path = _stack_file(home)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _write_stack(home: Home, stack: list[str]) -> None:
    path = _stack_file(home)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(stack, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _push(home: Home, build: Path) -> None:
    stack = [name for name in _read_stack(home) if name != build.name]
    _write_stack(home, [*stack, build.name])


def published_history(home: Home) -> list[Path]:
    """The published builds still in force, oldest first (``rollback`` retracts the last)."""
    return [home.builds / name for name in _read_stack(home)]


def prune(home: Home, keep: int = KEEP_PUBLISHED, keep_failed: int = 3) -> list[Path]:
    """Keep the last ``keep`` published builds; of the candidates never published, keep the
    ``keep_failed`` newest ones built after the current build (failed, for inspection, or in
    flight) and drop those older than it."""
    current = published_build(home)
    history = published_history(home)
    keep_set = {p.name for p in history[-keep:]} if keep > 0 else set()  # [-0:] is all
    if current is not None:
        keep_set.add(current.name)
    published_names = {p.name for p in history}
    candidates = sorted(home.builds.glob("*.duckdb"))
    newer = [p for p in candidates if p.name not in published_names
             and (current is None or p.name > current.name)]
    if keep_failed > 0:
        keep_set.update(p.name for p in newer[-keep_failed:])
    removed = []
    for path in candidates:
        if path.name in keep_set:
            continue
        for victim in (path, manifest_path(path), fingerprint_path(path),
                       path.with_suffix(".reference.json"),
                       path.with_name(path.name + ".wal")):
            if victim.exists():
                victim.unlink()
        shutil.rmtree(data_docs_dir(path), ignore_errors=True)
        removed.append(path)
    return removed
