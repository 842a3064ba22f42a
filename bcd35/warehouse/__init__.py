"""The warehouse core: write-audit-publish written once, an engine per database
(docs/development.md#the-warehouse-core).

``backend()`` is the engine the settings choose (``BCD35_WAREHOUSE``: ``duckdb``, the embedded
default, or ``postgres``); every command and DAG reaches the warehouse through it.
"""

from __future__ import annotations

from pathlib import Path

from bcd35.config import Home
from bcd35.settings import settings
from bcd35.warehouse.artifacts import (
    data_docs_dir,
    fingerprint_path,
    manifest_path,
    read_manifest,
    reference_report_path,
    write_manifest,
)
from bcd35.warehouse.base import KEEP_PUBLISHED, SOURCE_TABLES, Warehouse, new_build_id
from bcd35.warehouse.duckdb import DuckDBWarehouse
from bcd35.warehouse.errors import (
    AuditFailed,
    BuildFailed,
    NothingChanged,
    PublishRefused,
    SwapTimedOut,
)
from bcd35.warehouse.postgres import PostgresWarehouse

__all__ = ["KEEP_PUBLISHED", "SOURCE_TABLES", "AuditFailed", "BuildFailed", "NothingChanged",
           "PublishRefused", "SwapTimedOut", "Warehouse", "backend", "data_docs_dir",
           "fingerprint_path", "manifest_path", "new_build_id", "published_build",
           "read_manifest", "reference_report_path", "write_manifest"]


def backend() -> Warehouse:
    """The engine of this installation."""
    if settings().warehouse == "postgres":
        return PostgresWarehouse()
    return DuckDBWarehouse()


def published_build(home: Home) -> Path | None:
    """The DuckDB file of the published build that readers open (read-only), or None
    before the first publish: the build itself on DuckDB, a local copy of the published
    schemas on PostgreSQL."""
    return backend().published_build(home)
