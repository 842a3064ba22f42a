"""Incremental builds: a night starts from the published build and replaces only the raw files
that changed (docs/development.md#incremental-builds).

A build records what it read (:func:`write_inputs`): the listing of the raw layer (each file's
size and mtime) and the fingerprint of everything else
(:func:`bcd35.fingerprint.base_fingerprint`: code, dbt project, reference data, suites,
committees, key, library versions). The next build
may start from the published build when that fingerprint is the same and the run is not
forced (:func:`start_from`): the engine copies the published build as the candidate, and the
staging models (incremental in dbt, ``raw_source`` and ``retract_raw_rows`` in
``dbt_project/macros/raw_source.sql``) delete the rows of every raw file that is gone or was
rewritten and read only the files that are new or rewritten (:func:`raw_changes`). Every
model downstream of a changed kind's staging model is rebuilt from it: as in a full build, or,
for the de-duplicated posts, shares and meetings and their facts, only for the natural keys
whose staging rows changed (``dbt_project/macros/changed_keys.sql``, when
:attr:`Start.narrow`);
the models that read no changed raw file keep the copied build's tables, made from the same
inputs (:func:`selection`). The result is the full build's, row for row
(``tests/e2e/test_rebuild_equality.py``).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bcd35.warehouse.artifacts import inputs_path

#: The environment variable that hands dbt the change list (a CSV file's path); unset, the
#: staging models read the whole raw layer.
RAW_CHANGES_ENV = "BCD35_RAW_CHANGES"
_RAW_FILE = re.compile(r"^(?P<kind>[a-z_]+)/(?:(?P<sha>[0-9a-f]{64})|pack-[0-9]{8,})\.parquet$")

Listing = Mapping[str, Sequence[int]]  # "<kind>/<file>.parquet" → (size, mtime_ns)
Files = Mapping[str, Sequence[str]]  # "<kind>/pack-<number>.parquet" → the sha256 it holds


@dataclass(frozen=True)
class RawChange:
    kind: str
    action: str  # retract: delete the file's rows; add: read the file
    sha256: str
    path: str


@dataclass(frozen=True)
class Start:
    """An incremental build: the published build it copies and the raw files that changed."""

    build_id: str
    changes: Sequence[RawChange]
    #: rebuild only what reads these raw kinds (the rest is the copied build's); False when
    #: every model after staging must be rebuilt (the published build withheld partitions:
    #: its marts hold older rows for them, which only a rebuild of every mart replaces)
    narrow: bool = True

    @property
    def kinds(self) -> list[str]:
        """The raw kinds (``raw/<kind>/``, the dbt source tables) with a file gone, new or
        rewritten."""
        return sorted({c.kind for c in self.changes})

    def selection(self) -> tuple[str, ...]:
        """dbt's ``--select`` for this build: each changed kind's source and every node
        downstream of it (their data tests too, dbt's eager indirect selection), or nothing
        (every node) when the build may not be narrowed or no kind changed."""
        if not self.narrow or not self.kinds:
            return ()
        return ("--select", *(f"source:*.{kind}+" for kind in self.kinds))


def write_inputs(build: Path, base: str, raw: Listing, files: Files,
                 start: Start | None) -> None:
    """``<build>.inputs.json``: what the build read (the raw files, and the source files
    each pack holds), the build it started from (or null) and the raw kinds whose models it
    rebuilt (null: every model)."""
    path = inputs_path(build)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({
        "base_fingerprint": base,
        "started_from": start.build_id if start else None,
        "rebuilt_kinds": start.kinds if start and start.selection() else None,
        "raw": {k: list(v) for k, v in raw.items()},
        "files": {k: list(v) for k, v in files.items()}}), encoding="utf-8")
    os.replace(tmp, path)


def read_inputs(build: Path) -> dict | None:
    try:
        return json.loads(inputs_path(build).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def start_from(published: Path | None, base: str, *, forced: bool) -> dict | None:
    """The inputs of the published build when a build may start from it: it exists, read
    the same code and reference data (``base``), and the run is not forced."""
    if forced or published is None or not published.exists():
        return None
    inputs = read_inputs(published)
    if not inputs or inputs.get("base_fingerprint") != base:
        return None
    return inputs


def raw_changes(previous: Listing, current: Listing, raw_dir: Path,
                previous_files: Files, current_files: Files) -> list[RawChange] | None:
    """What a build starting from ``previous`` must do to hold ``current``'s raw files: the
    rows of every source file in a raw file gone or rewritten (another size or mtime) are
    retracted, those of every raw file new or rewritten are added (a pack's source files are
    in ``*_files``; a single file is named by its one). The zero-row files that fix the
    types are neither. None when a pack of ``previous`` is not in ``previous_files``."""
    changes = []
    for name in sorted(previous.keys() | current.keys()):
        match = _RAW_FILE.match(name)
        if match is None:
            continue
        old, new = previous.get(name), current.get(name)
        if old is not None and new is not None and list(old) == list(new):
            continue
        kind, sha = match["kind"], match["sha"]
        if old is not None:
            shas = [sha] if sha else previous_files.get(name)
            if shas is None:
                return None
            changes += [RawChange(kind, "retract", one, "") for one in shas]
        if new is not None:
            changes += [RawChange(kind, "add", one, str(raw_dir / name))
                        for one in ([sha] if sha else current_files[name])]
    return changes


def write_changes(path: Path, changes: Sequence[RawChange], *, narrow: bool = False) -> Path:
    """The change list dbt reads (``$BCD35_RAW_CHANGES``), header included when empty. A
    ``narrow`` build (:attr:`Start.narrow`) says so in a row of its own: the models rebuilt
    by natural key (``dbt_project/macros/changed_keys.sql``) then recompute only the keys
    whose rows changed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("kind", "action", "sha256", "path"))
        writer.writerows((c.kind, c.action, c.sha256, c.path) for c in changes)
        if narrow and changes:
            writer.writerow(("", "narrow", "", ""))
    os.replace(tmp, path)
    return path
