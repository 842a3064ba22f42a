"""The raw layer: packs of accepted source files' rows, per kind, in the exact contract schema.

``HOME/raw/<kind>/pack-<number>.parquet`` holds every row (all sheets of that kind) of the
files the ingestion registered in one batch, with the provenance columns of
``kinds.PROVENANCE``; its footer lists their sha256 (:func:`raw_file_shas`). A pack is never
changed in place: a file retracted from it (superseded, withdrawn, or never committed after a
crash) makes :func:`retain` write the rest under the next number and remove the old pack
(docs/development.md#the-raw-layer). ``HOME/raw/<kind>/<sha256>.parquet``, one source file's
rows, is the layout of homes ingested before packs, read as a pack of one file.
``HOME/raw/<kind>/_empty.parquet`` (zero rows) makes sure dbt's ``raw/<kind>/*.parquet`` glob
always matches with fixed types.

Every file of a kind has the kind's current schema (:func:`migrate_raw_schemas` rewrites the
files of an older one once, after an upgrade), so DuckDB reads a kind's files with one schema,
without ``union_by_name``: that option read and kept every file's own schema, 0.5 GiB of the
build's peak and 20 s of its time at national (docs/performance.md#memory).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from bcd35.config import Home
from bcd35.durable import sync_directory
from bcd35.failpoints import failpoint
from bcd35.ingest.kinds import KINDS, Kind

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

EMPTY_FILE = "_empty.parquet"
PACK_FILE = re.compile(r"^pack-(?P<number>[0-9]{8,})\.parquet$")
SOURCE_FILE = re.compile(r"^(?P<sha>[0-9a-f]{64})\.parquet$")  # before packs: one source file
FILES_KEY = b"bcd35.files"  # a pack's footer: the JSON list of the sha256 whose rows it holds


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


def staging_dir(home: Home) -> Path:
    """Where versions before packs staged the raw files of their workers (removed as the
    ingestion starts, should a run of such a version have been killed)."""
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
            arrays.append(pa.repeat(pa.scalar(constant[field.name], field.type), n))
        elif field.name == "_row_number":
            arrays.append(pa.array(part.row_numbers, field.type))
        else:
            column = (year_array(part.table.column(kind.year_column)) if field.name == "_year"
                      else part.table.column(field.name))
            arrays.append(column if column.type == field.type else column.cast(field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


RAW_MODE = 0o640  # owner and the analysts' group: raw rows carry personal names


def _write_atomic(table: pa.Table, path: Path, *, durable: bool = False) -> None:
    """Write ``path`` whole or not at all; ``durable``: on disk, name included, when it
    returns (else the caller syncs)."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.chmod(tmp, RAW_MODE)
        if durable:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    if durable:
        sync_directory(path.parent)


def raw_table(kind: Kind, parts: Sequence[RawRows], prov: Provenance) -> pa.Table:
    """The raw rows of one source file and kind, in the kind's schema."""
    import pyarrow as pa

    schema = arrow_schema(kind)
    if parts and all(part.table is not None for part in parts):
        return pa.concat_tables([_part_table(kind, part, prov, schema) for part in parts])
    return pa.Table.from_pydict(_columns(kind, parts, prov), schema=schema)


def table_bytes(table: pa.Table) -> bytes:
    """``table`` as an Arrow IPC stream: how a worker hands a file's rows to the ingest's main
    process. Pickling the table took 4 × as long on both sides (province files: 0.83 against
    0.22 ms a table, sent and received) and carries the whole of any buffer a column is a
    slice of (pyarrow 26: 17.9 MB for 120 rows of a table of a million, against 2.4 kB)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def bytes_table(data: bytes) -> pa.Table:
    """The table :func:`table_bytes` wrote."""
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all()


# --- packs ----------------------------------------------------------------------------------

def raw_file_shas(path: Path) -> list[str]:
    """The sha256 of the source files whose rows a raw file holds (sorted): a pack's footer
    says; a file of the layout before packs is named by its one file's sha256."""
    import pyarrow.parquet as pq

    if (match := SOURCE_FILE.match(path.name)) is not None:
        return [match["sha"]]
    if PACK_FILE.match(path.name) is None:
        return []
    try:
        metadata = pq.read_schema(path).metadata or {}
        return sorted(json.loads(metadata.get(FILES_KEY, b"[]")))
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise UnreadableRawFile(f"{path}: không đọc được / unreadable: {exc}") from exc


class UnreadableRawFile(ValueError):
    """A raw file that is not the Parquet the ingestion wrote (damaged on disk, changed by
    hand): nothing of it is known, so nothing removes it."""


def pack_files(raw_dir: Path, names: Iterable[str]) -> dict[str, list[str]]:
    """``<kind>/pack-<number>.parquet`` → the sha256 its footer lists, for each pack among
    ``names`` (paths relative to ``raw_dir``, as :func:`bcd35.fingerprint.raw_listing` names
    them): what an incremental build retracts when the pack is gone or rewritten."""
    return {name: raw_file_shas(raw_dir / name) for name in names
            if PACK_FILE.match(name.rpartition("/")[2])}


def raw_files(home: Home, kind: Kind | str) -> list[Path]:
    """The data files of a kind in the raw layer (packs and single files), oldest first."""
    name = kind if isinstance(kind, str) else kind.name
    folder = home.raw / name
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if SOURCE_FILE.match(p.name) or PACK_FILE.match(p.name)]
    return sorted(files, key=_age)


def _age(path: Path) -> tuple[int, str]:
    match = PACK_FILE.match(path.name)
    return (int(match["number"]) if match else -1, path.name)


def raw_shas(home: Home, kind: Kind | str | None = None) -> dict[str, list[str]]:
    """sha256 → the raw files holding its rows (of one kind, or of all): each file in effect
    has exactly one per kind it has rows of."""
    kinds = [kind] if kind is not None else list(KINDS)
    found: dict[str, list[str]] = {}
    for one in kinds:
        for path in raw_files(home, one):
            for sha in raw_file_shas(path):
                found.setdefault(sha, []).append(path.relative_to(home.raw).as_posix())
    return found


def read_raw(home: Home, kind: Kind | str, sha256: str | None = None) -> pa.Table:
    """The raw rows of a kind (of one source file: ``sha256``), in the raw layer's order."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    kind = KINDS[kind] if isinstance(kind, str) else kind
    tables = []
    for path in raw_files(home, kind):
        if sha256 is None or sha256 in raw_file_shas(path):
            table = conform(kind, pq.read_table(path))
            if sha256 is not None:
                table = table.filter(pc.equal(table.column("_file_sha256"), sha256))
            tables.append(table)
    return pa.concat_tables(tables) if tables else arrow_schema(kind).empty_table()


class RawPacks:
    """The packs of one ingestion: the rows of the files accepted since the last
    :meth:`flush`, and the numbering of the packs it writes (one writer per home: the
    ingestion holds the home's lock)."""

    def __init__(self, home: Home):
        self.home = home
        self._pending: dict[str, list[pa.Table]] = {}
        self._shas: dict[str, set[str]] = {}
        self._next: dict[str, int] = {}

    def add(self, kind: str, sha: str, table: pa.Table) -> None:
        self._pending.setdefault(kind, []).append(table)
        self._shas.setdefault(kind, set()).add(sha)

    def flush(self) -> list[Path]:
        """Write a pack of each kind's pending rows (not yet durable: the caller syncs before
        it commits the registry rows of those files)."""
        import pyarrow as pa

        written = []
        for kind, tables in sorted(self._pending.items()):
            if self._shas[kind]:
                written.append(self._write(kind, pa.concat_tables(tables), self._shas[kind]))
        self._pending.clear()
        self._shas.clear()
        return written

    def _write(self, kind: str, table: pa.Table, shas: Iterable[str], *,
               durable: bool = False) -> Path:
        if kind not in self._next:
            numbers = [_age(p)[0] for p in raw_files(self.home, kind)]
            self._next[kind] = max([0, *numbers]) + 1
        path = self.home.raw / kind / f"pack-{self._next[kind]:08d}.parquet"
        self._next[kind] += 1
        metadata = {FILES_KEY: json.dumps(sorted(shas)).encode()}
        _write_atomic(table.replace_schema_metadata(metadata), path, durable=durable)
        return path

    def retain(self, keep: frozenset[str] | set[str]) -> list[Path]:
        """Leave in the raw layer the rows of the files ``keep`` names, once each: a raw file
        holding only those stays; one holding none of them (retracted, or written by a run
        stopped before its registry rows were committed) is removed; one holding some is
        written again without the others, as a new pack, then removed. A file whose rows are
        also in a newer pack (a run stopped between the two steps) gives them up to it.
        Returns the files removed."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        removed: list[Path] = []
        for kind in KINDS:
            claimed: set[str] = set()
            for path in reversed(raw_files(self.home, kind)):
                try:
                    shas = set(raw_file_shas(path))
                except UnreadableRawFile:
                    log.warning("left as it is (the build will fail on it)", exc_info=True)
                    continue
                wanted = (shas & keep) - claimed
                claimed |= wanted
                if wanted == shas:
                    continue
                if wanted:
                    table = pq.read_table(path)
                    mask = pc.is_in(table.column("_file_sha256"),
                                    pa.array(sorted(wanted), pa.string()))
                    # durable before the pack it replaces goes: those rows are committed
                    self._write(kind, conform(KINDS[kind], table.filter(mask)), wanted,
                                durable=True)
                    failpoint("raw:rewritten")
                path.unlink()
                removed.append(path)
        return removed


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
