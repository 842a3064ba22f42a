"""The raw layer: one Parquet file per accepted source file and kind, in the exact contract schema.

``HOME/raw/<kind>/<sha256>.parquet`` holds every row of the file (all sheets of that kind) with
the provenance columns of ``kinds.PROVENANCE``; ``HOME/raw/<kind>/_empty.parquet`` (zero rows)
makes sure dbt's ``raw/<kind>/*.parquet`` glob always matches with fixed types.

Every file of a kind has the kind's current schema (:func:`migrate_raw_schemas` rewrites the
files of an older one once, after an upgrade), so DuckDB reads a kind's files with one schema,
without ``union_by_name``: that option read and kept every file's own schema, 0.5 GiB of the
build's peak and 20 s of its time at national (docs/performance.md#memory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bcd35.config import Home
from bcd35.ingest.kinds import KINDS, Kind

if TYPE_CHECKING:
    import pyarrow as pa

EMPTY_FILE = "_empty.parquet"


def arrow_type(type_name: str) -> pa.DataType:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
             "date": pa.date32(), "timestamp": pa.timestamp("us"), "bool": pa.bool_()}
    return types[type_name]


@cache
def arrow_schema(kind: Kind) -> pa.Schema:
    """The Arrow schema of ``Kind.schema()``, column for column (made once per kind: 50 µs,
    which every raw file written paid, 2.5 % of the ingest's workers at province)."""
    import pyarrow as pa

    return pa.schema([pa.field(name, arrow_type(type_name)) for name, type_name in kind.schema()])


@dataclass(frozen=True)
class Provenance:
    committee_code: str
    file_sha256: str
    loaded_at: datetime  # UTC, naive
    ingest_seq: int


@dataclass(frozen=True)
class RawRows:
    """The rows of one sheet for the raw layer."""

    sheet: str | None
    row_numbers: Sequence[int]
    records: Sequence[Mapping[str, object]]
    table: pa.Table | None = None  # the same records as columns (column-by-column parsing)


def raw_path(home: Home, kind: Kind, sha256: str) -> Path:
    return home.raw / kind.name / f"{sha256}.parquet"


def staging_dir(home: Home) -> Path:
    """Raw files written by the ingestion's workers wait here until their file is registered
    (same file system as the raw layer: moving one in is an atomic rename)."""
    return home.state / "incoming"


def year_of(value: object) -> int | None:
    """The partition year of a row's ``Kind.year_column`` value (a date, a time or a year)."""
    if value is None:
        return None
    if isinstance(value, date):  # datetime too
        return value.year
    return int(value)  # type: ignore[call-overload]


def year_array(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """:func:`year_of` of a whole column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_date(column.type) or pa.types.is_timestamp(column.type):
        return pc.year(column)
    return column


def _columns(kind: Kind, parts: Sequence[RawRows], prov: Provenance) -> dict[str, list[object]]:
    """Column by column (the provenance is the same for every row of the file)."""
    n = sum(len(part.records) for part in parts)
    constant = {"_committee_code": prov.committee_code, "_file_sha256": prov.file_sha256,
                "_kind": kind.name, "_loaded_at": prov.loaded_at,
                "_ingest_seq": prov.ingest_seq}
    columns: dict[str, list[object]] = {}
    for name, _ in kind.schema():
        if name in constant:
            columns[name] = [constant[name]] * n
        elif name == "_sheet":
            columns[name] = [part.sheet for part in parts for _ in part.records]
        elif name == "_row_number":
            columns[name] = [number for part in parts for number in part.row_numbers]
        elif name == "_year":
            columns[name] = [year_of(record.get(kind.year_column))
                             for part in parts for record in part.records]
        else:
            columns[name] = [record.get(name) for part in parts for record in part.records]
    for part in parts:
        if len(part.row_numbers) != len(part.records):
            raise ValueError(f"{kind.name}: {len(part.row_numbers)} row numbers for "
                             f"{len(part.records)} records")
    return columns


def _part_table(kind: Kind, part: RawRows, prov: Provenance, schema: pa.Schema) -> pa.Table:
    """The rows of a sheet parsed column by column, with the provenance columns added."""
    import pyarrow as pa

    assert part.table is not None
    n = part.table.num_rows
    if len(part.row_numbers) != n:
        raise ValueError(f"{kind.name}: {len(part.row_numbers)} row numbers for {n} records")
    constant = {"_committee_code": prov.committee_code, "_file_sha256": prov.file_sha256,
                "_kind": kind.name, "_loaded_at": prov.loaded_at,
                "_ingest_seq": prov.ingest_seq, "_sheet": part.sheet}
    arrays = []
    for field in schema:
        if field.name in constant:
            arrays.append(pa.array([constant[field.name]] * n, field.type))
        elif field.name == "_row_number":
            arrays.append(pa.array(part.row_numbers, field.type))
        elif field.name == "_year":
            arrays.append(year_array(part.table.column(kind.year_column)).cast(field.type))
        else:
            arrays.append(part.table.column(field.name).cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


RAW_MODE = 0o640  # owner and the analysts' group: raw rows carry personal names


def _write_atomic(table: pa.Table, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.chmod(tmp, RAW_MODE)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_raw(home: Home, kind: Kind, parts: Sequence[RawRows], prov: Provenance,
              path: Path | None = None) -> Path:
    """Write (or rewrite, identically) the raw Parquet file of one source file and kind, at
    its place in the raw layer or at ``path``."""
    import pyarrow as pa

    schema = arrow_schema(kind)
    if parts and all(part.table is not None for part in parts):
        table = pa.concat_tables([_part_table(kind, part, prov, schema) for part in parts])
    else:
        table = pa.Table.from_pydict(_columns(kind, parts, prov), schema=schema)
    path = path if path is not None else raw_path(home, kind, prov.file_sha256)
    _write_atomic(table, path)
    return path


def conform(kind: Kind, table: pa.Table) -> pa.Table:
    """A raw file's rows in the kind's current schema: each column cast to its type, a column
    the file lacks computed (``_year``, from ``Kind.year_column``) or null, a column the
    schema no longer has dropped."""
    import pyarrow as pa

    arrays = []
    for field in arrow_schema(kind):
        if field.name in table.column_names:
            arrays.append(table.column(field.name).cast(field.type))
        elif field.name == "_year" and kind.year_column in table.column_names:
            arrays.append(year_array(table.column(kind.year_column)).cast(field.type))
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(arrays, schema=arrow_schema(kind))


def _schemas_path(home: Home) -> Path:
    return home.state / "raw_schemas.json"


def _schema_ids() -> dict[str, str]:
    return {kind.name: str(arrow_schema(kind)) for kind in KINDS.values()}


def migrate_raw_schemas(home: Home) -> list[Path]:
    """Rewrite, in the current schema, the raw files written with an older one (a release
    that added, removed or retyped a raw column); returns the files rewritten.

    ``HOME/state/raw_schemas.json`` records the schema every file of each kind has, once they
    all have it: a night whose kinds' schemas are unchanged reads that file only. The raw
    layer is derived data (the originals are kept): each file is replaced atomically, and a
    run stopped half-way finds the rest to do on the next one (a rewritten file has a new
    mtime, so the next build reads it again, as it reads any rewritten raw file).
    """
    import pyarrow.parquet as pq

    path = _schemas_path(home)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    current = _schema_ids()
    rewritten: list[Path] = []
    for kind in KINDS.values():
        if recorded.get(kind.name) == current[kind.name]:
            continue
        schema = arrow_schema(kind)
        for file in sorted((home.raw / kind.name).glob("*.parquet")):
            if file.name == EMPTY_FILE or pq.read_schema(file).equals(schema):
                continue
            _write_atomic(conform(kind, pq.read_table(file)), file)
            rewritten.append(file)
    if recorded != current:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    return rewritten


def ensure_raw_schemas(home: Home) -> list[Path]:
    """Write ``raw/<kind>/_empty.parquet`` where it is missing or has another schema."""
    import pyarrow.parquet as pq

    written: list[Path] = []
    for kind in KINDS.values():
        path = home.raw / kind.name / EMPTY_FILE
        schema = arrow_schema(kind)
        if path.exists() and pq.read_schema(path).equals(schema):
            continue
        _write_atomic(schema.empty_table(), path)
        written.append(path)
    return written
