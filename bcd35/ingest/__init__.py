"""Ingestion: inbox → originals (by hash) → raw Parquet or quarantine, with a file registry.

Modules, in the order a file meets them: ``pipeline`` (one pass over the inbox), ``names``
(names are metadata), ``originals`` (kept by hash), ``reading`` (bytes → rows: encodings, CSV,
XLSX through ``xlsx_guard``), ``detect`` (kind from the header row), ``rows`` (typed records,
cell errors), ``duplicates`` (contradictions inside a file), ``raw`` (Parquet), ``quarantine``
(JSON, text and HTML reports), ``registry`` (SQLite). ``kinds`` is the raw-layer contract.

Light to import: no Airflow, dbt or Great Expectations; openpyxl and pyarrow are imported only
when a workbook is read or a Parquet file written.
"""

from __future__ import annotations

from bcd35.ingest.pipeline import FileOutcome, IngestResult, analyse, inbox_files, ingest_inbox
from bcd35.ingest.raw import arrow_schema, ensure_raw_schemas, migrate_raw_schemas
from bcd35.ingest.registry import RegisteredFile, list_files, quarantined_files, sightings

__all__ = [
    "FileOutcome",
    "IngestResult",
    "RegisteredFile",
    "analyse",
    "arrow_schema",
    "ensure_raw_schemas",
    "inbox_files",
    "ingest_inbox",
    "list_files",
    "migrate_raw_schemas",
    "quarantined_files",
    "sightings",
]
