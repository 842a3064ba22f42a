"""The files a build leaves in the home, the same on both engines.

Every build has a *stem*, ``<artifacts dir>/<build_id>``: the DuckDB build file itself
(``builds/<id>.duckdb``) or, on PostgreSQL, the local read-only snapshot of the published
schemas (``warehouse/postgres/<id>.duckdb``). Next to it: the manifest (``.json``), what it
was built from (``.fingerprint``, ``.inputs.json``), the office's reference data it read
(``.reference.json``) and the Data Docs site of its audit (``.datadocs/``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


def manifest_path(build: Path) -> Path:
    return build.with_suffix(".json")


def fingerprint_path(build: Path) -> Path:
    """What the build was made from (:mod:`bcd35.fingerprint`), written by the build stage."""
    return build.with_suffix(".fingerprint")


def inputs_path(build: Path) -> Path:
    """The raw files a build read and the fingerprint of everything else
    (:mod:`bcd35.warehouse.incremental`), written by the build stage (JSON)."""
    return build.with_suffix(".inputs.json")


def data_docs_dir(build: Path) -> Path:
    """The Great Expectations Data Docs site of the audit of ``build``."""
    return build.with_suffix(".datadocs")


def reference_report_path(build: Path) -> Path:
    """The office's reference data a build read, and the rows it refused (JSON)."""
    return build.with_suffix(".reference.json")


def read_manifest(build: Path) -> dict:
    return json.loads(manifest_path(build).read_text(encoding="utf-8"))


def write_manifest(build: Path, manifest: dict) -> None:
    path = manifest_path(build)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, path)


def remove(build: Path) -> None:
    """A build's files (pruning): the stem, its WAL and everything next to it."""
    for victim in (build, manifest_path(build), fingerprint_path(build), inputs_path(build),
                   reference_report_path(build), build.with_name(build.name + ".wal"),
                   build.with_name(build.name + ".tmp")):
        if victim.exists():
            victim.unlink()
    shutil.rmtree(data_docs_dir(build), ignore_errors=True)
