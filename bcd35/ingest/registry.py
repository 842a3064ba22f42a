"""The file registry: every file ever seen, by sha256, in SQLite at ``HOME/state/bcd35.sqlite``.

Table ``ingested_files`` has one row per distinct content: where it was first found, where its
original is kept, what it was recognised as, whether it was loaded or quarantined and why, and
its ``ingest_seq`` (strictly increasing: a later file wins over an earlier one on a natural key).
Table ``file_sightings`` remembers every inbox path the same content was seen under, and
``file_stats`` the ``lstat`` of each inbox path when it was last read, with the sha256 of its
bytes then: an inbox file whose stat has not changed since it was loaded is not read again.

A quarantined file is looked at again on every run while its bytes are still in the inbox (a
code or reference-data change may have made it loadable; it then loads under its original
``ingest_seq``). When other content turns up at an inbox path where a quarantined file was seen
(the clerk fixed the file in place), the quarantined file gets ``superseded_by`` = the new
sha256: it is no longer waiting for a fix.

The inbox is the truth: a loaded file stays *in effect* only while its bytes are in the inbox.
When new bytes that load turn up at its inbox path it is *superseded* (``retracted`` =
``superseded``, ``superseded_by`` = the new sha256); when its bytes are nowhere in the inbox any
more it is *withdrawn* (``retracted`` = ``withdrawn``). Its rows then leave the raw layer; the
original is kept for ever, and the same bytes dropped again are loaded again (reinstated).
Table ``file_events`` is the history of every content: loaded, quarantined, superseded,
withdrawn, reinstated, with the run that did it.
Paths in the registry are relative: ``original_path`` to the inbox, ``stored_path`` and
``report_path`` to the home.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from bcd35.config import Home

BUSY_TIMEOUT_MS = 30_000
LOADED = "loaded"
QUARANTINED = "quarantined"

_SCHEMA = """
create table if not exists ingested_files (
    sha256 text primary key,
    original_name text not null,
    original_path text not null,
    stored_path text not null,
    kinds text not null default '',
    status text not null check (status in ('loaded', 'quarantined')),
    rows integer not null default 0,
    error_count integer not null default 0,
    report_path text,
    reason text,
    first_seen text not null,
    last_seen text not null,
    ingest_seq integer not null unique,
    data_rows integer not null default 0,
    rejected_rows integer not null default 0,
    superseded_by text,
    retracted text,
    retracted_at text,
    retracted_run text
);
create table if not exists file_events (
    event_id integer primary key autoincrement,
    sha256 text not null,
    original_path text not null,
    event text not null,
    at text not null,
    run_id text,
    detail text
);
create index if not exists file_events_by_sha256 on file_events (sha256);
create table if not exists file_sightings (
    sha256 text not null,
    original_path text not null,
    first_seen text not null,
    last_seen text not null,
    primary key (sha256, original_path)
);
-- the ingest looks a path's earlier files up once per file (supersede): without this index,
-- a scan of every sighting each time (tests/unit/test_registry_scale.py)
create index if not exists file_sightings_by_path on file_sightings (original_path);
create table if not exists file_stats (
    original_path text primary key,
    size integer not null,
    mtime_ns integer not null,
    inode integer not null,
    ctime_ns integer not null,
    sha256 text not null
);
create table if not exists skipped_entries (
    original_path text primary key,
    reason text not null,
    seen_at text not null
);
create table if not exists ingest_seq_allocations (
    ingest_seq integer primary key autoincrement,
    sha256 text not null,
    allocated_at text not null
);
"""

_COLUMNS = ("sha256", "original_name", "original_path", "stored_path", "kinds", "status", "rows",
            "error_count", "report_path", "reason", "first_seen", "last_seen", "ingest_seq",
            "data_rows", "rejected_rows", "superseded_by", "retracted", "retracted_at",
            "retracted_run")
# columns added after the first release: (name, declaration) for ``alter table``
_ADDED_COLUMNS = (("data_rows", "integer not null default 0"),
                  ("rejected_rows", "integer not null default 0"),
                  ("superseded_by", "text"),
                  ("retracted", "text"),
                  ("retracted_at", "text"),
                  ("retracted_run", "text"))
SUPERSEDED = "superseded"
WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class RegisteredFile:
    sha256: str
    original_name: str  # file name as dropped (metadata only)
    original_path: str  # relative to the inbox
    stored_path: str  # relative to the home: originals/<sha[:2]>/<sha256>
    kinds: tuple[str, ...]  # kinds loaded; for a quarantined file, the kind guess if any
    status: str  # loaded | quarantined
    rows: int
    error_count: int
    report_path: str | None  # relative to the home: quarantine/<sha256>.txt (.json/.html beside)
    reason: str | None  # first problem, for `bcd35 status`
    first_seen: datetime  # UTC, naive
    last_seen: datetime
    ingest_seq: int
    # non-blank rows below the header; rows with an error (0 for a loaded file). For every file
    # read: rows loaded (or that would load) + rejected_rows = data_rows.
    data_rows: int = 0
    rejected_rows: int = 0
    # a quarantined file replaced at its inbox path by this, or a loaded file superseded by it
    superseded_by: str | None = None
    retracted: str | None = None  # a loaded file no longer in effect: superseded | withdrawn
    retracted_at: str | None = None  # UTC, ISO
    retracted_run: str | None = None  # the run that retracted it

    @property
    def in_effect(self) -> bool:
        """Loaded and neither superseded nor withdrawn: its rows are in the raw layer."""
        return self.status == LOADED and self.retracted is None

    @property
    def state(self) -> str:
        """loaded | quarantined | superseded | withdrawn: what became of the file."""
        return self.retracted or self.status

    def stored_file(self, home: Home) -> Path:
        return home.root / self.stored_path

    def report_file(self, home: Home) -> Path | None:
        return home.root / self.report_path if self.report_path else None


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _from_row(row: sqlite3.Row) -> RegisteredFile:
    return RegisteredFile(
        sha256=row["sha256"], original_name=row["original_name"],
        original_path=row["original_path"], stored_path=row["stored_path"],
        kinds=tuple(k for k in row["kinds"].split(",") if k), status=row["status"],
        rows=row["rows"], error_count=row["error_count"], report_path=row["report_path"],
        reason=row["reason"], first_seen=datetime.fromisoformat(row["first_seen"]),
        last_seen=datetime.fromisoformat(row["last_seen"]), ingest_seq=row["ingest_seq"],
        data_rows=row["data_rows"], rejected_rows=row["rejected_rows"],
        superseded_by=row["superseded_by"], retracted=row["retracted"],
        retracted_at=row["retracted_at"], retracted_run=row["retracted_run"])


def connect(home: Home) -> sqlite3.Connection:
    """Open (creating if needed) the registry: WAL journal, busy timeout, tables in place."""
    home.state_db.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home.state_db, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    conn.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("pragma journal_mode = wal")
    # WAL + NORMAL: a commit is atomic and consistent without an fsync of its own (the WAL is
    # synced at checkpoints); a power cut can lose the last commits, never corrupt the file.
    # A file whose registry row was lost is simply ingested again on the next run.
    conn.execute("pragma synchronous = normal")
    conn.executescript(_SCHEMA)
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Add the columns a registry written by an older version lacks."""
    present = {row["name"] for row in conn.execute("pragma table_info(ingested_files)")}
    with conn:
        for name, declaration in _ADDED_COLUMNS:
            if name not in present:
                conn.execute(f"alter table ingested_files add column {name} {declaration}")


@contextmanager
def opened(home: Home) -> Iterator[sqlite3.Connection]:
    """A connection; what was written through it is committed when the block ends normally.

    The write functions below do not commit: the caller groups them into transactions (the
    ingestion commits a batch of files at a time, after the files they describe are synced).
    """
    conn = connect(home)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def get_file(conn: sqlite3.Connection, sha256: str) -> RegisteredFile | None:
    row = conn.execute("select * from ingested_files where sha256 = ?", (sha256,)).fetchone()
    return _from_row(row) if row else None


def allocate_ingest_seq(conn: sqlite3.Connection, sha256: str, now: datetime) -> int:
    """A new, strictly increasing sequence number (never reused once committed).

    ``sha256`` may be ``""`` when the number is allocated before the file is read (see
    :func:`claim_ingest_seq`); a number whose file turned out to be known stays unused.
    """
    cursor = conn.execute(
        "insert into ingest_seq_allocations (sha256, allocated_at) values (?, ?)",
        (sha256, _stamp(now)))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def claim_ingest_seq(conn: sqlite3.Connection, seq: int, sha256: str) -> None:
    """Note which content a number allocated before the file was read went to."""
    conn.execute("update ingest_seq_allocations set sha256 = ? where ingest_seq = ?",
                 (sha256, seq))


def quarantined_seqs(conn: sqlite3.Connection) -> dict[str, int]:
    """sha256 → ingest_seq of every quarantined file (it loads under that number once fixed)."""
    rows = conn.execute("select sha256, ingest_seq from ingested_files where status = ?",
                        (QUARANTINED,))
    return {row[0]: row[1] for row in rows}


def record_file(conn: sqlite3.Connection, file: RegisteredFile) -> None:
    values = {name: getattr(file, name) for name in _COLUMNS}
    values["kinds"] = ",".join(file.kinds)
    values["first_seen"] = _stamp(file.first_seen)
    values["last_seen"] = _stamp(file.last_seen)
    placeholders = ", ".join(f":{name}" for name in _COLUMNS)
    conn.execute(f"insert into ingested_files ({', '.join(_COLUMNS)}) "
                 f"values ({placeholders})", values)
    _sighting(conn, file.sha256, file.original_path, file.last_seen)


def update_file(conn: sqlite3.Connection, file: RegisteredFile) -> None:
    """Rewrite the row of a known file (a quarantined file looked at again)."""
    values = {name: getattr(file, name) for name in _COLUMNS}
    values["kinds"] = ",".join(file.kinds)
    values["first_seen"] = _stamp(file.first_seen)
    values["last_seen"] = _stamp(file.last_seen)
    assignments = ", ".join(f"{name} = :{name}" for name in _COLUMNS if name != "sha256")
    conn.execute(f"update ingested_files set {assignments} where sha256 = :sha256", values)
    _sighting(conn, file.sha256, file.original_path, file.last_seen)


def supersede(conn: sqlite3.Connection, sha256: str, original_path: str) -> list[str]:
    """Mark quarantined files once seen at ``original_path`` as replaced by ``sha256``."""
    rows = conn.execute(
        "select f.sha256 from ingested_files f join file_sightings s using (sha256) "
        "where s.original_path = ? and f.status = ? and f.sha256 <> ? "
        "and f.superseded_by is null", (original_path, QUARANTINED, sha256)).fetchall()
    shas = [row["sha256"] for row in rows]
    conn.executemany("update ingested_files set superseded_by = ? where sha256 = ?",
                     [(sha256, sha) for sha in shas])
    return shas


_SIGHTING = ("insert into file_sightings (sha256, original_path, first_seen, last_seen) "
             "values (?, ?, ?, ?) on conflict (sha256, original_path) "
             "do update set last_seen = excluded.last_seen")


def _sighting(conn: sqlite3.Connection, sha256: str, original_path: str, now: datetime) -> None:
    conn.execute(_SIGHTING, (sha256, original_path, _stamp(now), _stamp(now)))


def touch(conn: sqlite3.Connection, sha256: str, original_path: str, now: datetime) -> None:
    """A known file seen again (same bytes): only ``last_seen`` and the sightings change."""
    touch_many(conn, [(sha256, original_path)], now)


def touch_many(conn: sqlite3.Connection, seen: Sequence[tuple[str, str]],
               now: datetime) -> None:
    """:func:`touch` for each (sha256, inbox path) of ``seen``, as two statements in all."""
    stamp = _stamp(now)
    conn.executemany("update ingested_files set last_seen = ? where sha256 = ?",
                     [(stamp, sha) for sha, _ in seen])
    conn.executemany(_SIGHTING, [(sha, path, stamp, stamp) for sha, path in seen])


@dataclass(frozen=True)
class FileStat:
    """What ``lstat`` says of an inbox file; unchanged means the same bytes as last time.

    Like git's index: size, modification and change times (ns) and inode. A file rewritten in
    place changes its mtime and ctime; a file replaced by a rename changes its inode.
    """

    size: int
    mtime_ns: int
    inode: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileStat:
        return cls(info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)


def file_stats(conn: sqlite3.Connection) -> dict[str, tuple[FileStat, str]]:
    """inbox path → (its stat when last read, the sha256 of its bytes then)."""
    rows = conn.execute("select original_path, size, mtime_ns, inode, ctime_ns, sha256 "
                        "from file_stats").fetchall()
    return {row[0]: (FileStat(row[1], row[2], row[3], row[4]), row[5]) for row in rows}


def remember_stat(conn: sqlite3.Connection, original_path: str, stat: FileStat,
                  sha256: str) -> None:
    conn.execute(
        "insert into file_stats (original_path, size, mtime_ns, inode, ctime_ns, sha256) "
        "values (?, ?, ?, ?, ?, ?) on conflict (original_path) do update set "
        "size = excluded.size, mtime_ns = excluded.mtime_ns, inode = excluded.inode, "
        "ctime_ns = excluded.ctime_ns, sha256 = excluded.sha256",
        (original_path, stat.size, stat.mtime_ns, stat.inode, stat.ctime_ns, sha256))


def loaded_shas(conn: sqlite3.Connection) -> frozenset[str]:
    """The files in effect: loaded, neither superseded nor withdrawn."""
    rows = conn.execute("select sha256 from ingested_files where status = ? "
                        "and retracted is null", (LOADED,))
    return frozenset(row[0] for row in rows)


def in_effect_files(conn: sqlite3.Connection) -> list[RegisteredFile]:
    rows = conn.execute("select * from ingested_files where status = ? and retracted is null "
                        "order by ingest_seq", (LOADED,)).fetchall()
    return [_from_row(row) for row in rows]


#: values bound in one ``in (…)`` list (SQLite allows 32 766 since 3.32, 999 before)
_IN_CHUNK = 500


def _rows_of(conn: sqlite3.Connection, columns: str, shas: Iterable[str]) -> Iterator[sqlite3.Row]:
    """``columns`` of the registered files among ``shas``, a statement per 500."""
    wanted = sorted(set(shas))
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start:start + _IN_CHUNK]
        yield from conn.execute(f"select {columns} from ingested_files where sha256 in "
                                f"({', '.join('?' * len(chunk))})", chunk)


def files_of(conn: sqlite3.Connection, shas: Iterable[str]) -> dict[str, RegisteredFile]:
    """sha256 → its registered file, for each of ``shas`` that is registered."""
    return {row["sha256"]: _from_row(row) for row in _rows_of(conn, "*", shas)}


class SeenFile(NamedTuple):
    """What a night says of a registered file it saw again unchanged."""

    sha256: str
    status: str
    original_path: str
    kinds: tuple[str, ...]
    rows: int
    error_count: int


def seen_files(conn: sqlite3.Connection, shas: Iterable[str]) -> dict[str, SeenFile]:
    """sha256 → :class:`SeenFile`, for each of ``shas`` that is registered (the few columns
    of each a night reports, not the whole :class:`RegisteredFile`)."""
    rows = _rows_of(conn, "sha256, status, original_path, kinds, rows, error_count", shas)
    return {sha: SeenFile(sha, status, path, tuple(k for k in kinds.split(",") if k), n, errors)
            for sha, status, path, kinds, n, errors in rows}


def last_paths(conn: sqlite3.Connection, sha256: str) -> list[str]:
    """The inbox paths this content was seen under on the last night it was seen."""
    rows = conn.execute(
        "select original_path from file_sightings where sha256 = ? and last_seen = "
        "(select max(last_seen) from file_sightings where sha256 = ?) order by original_path",
        (sha256, sha256)).fetchall()
    return [row[0] for row in rows]


def retract(conn: sqlite3.Connection, file: RegisteredFile, how: str, now: datetime,
            run_id: str | None, by: str | None = None) -> None:
    """Take a loaded file out of effect: ``how`` is SUPERSEDED (``by`` the new sha256) or
    WITHDRAWN. The caller removes its raw files once this is committed."""
    assert how in (SUPERSEDED, WITHDRAWN)
    conn.execute("update ingested_files set retracted = ?, retracted_at = ?, retracted_run = ?, "
                 "superseded_by = ? where sha256 = ?",
                 (how, _stamp(now), run_id, by, file.sha256))
    record_event(conn, file.sha256, file.original_path, how, now, run_id, by)


def reinstate(conn: sqlite3.Connection, sha256: str) -> None:
    """A retracted file whose bytes are back in the inbox: in effect again."""
    conn.execute("update ingested_files set retracted = null, retracted_at = null, "
                 "retracted_run = null, superseded_by = null where sha256 = ?", (sha256,))


def record_event(conn: sqlite3.Connection, sha256: str, original_path: str, event: str,
                 now: datetime, run_id: str | None, detail: str | None = None) -> None:
    conn.execute("insert into file_events (sha256, original_path, event, at, run_id, detail) "
                 "values (?, ?, ?, ?, ?, ?)",
                 (sha256, original_path, event, _stamp(now), run_id, detail))


@dataclass(frozen=True)
class FileEvent:
    sha256: str
    original_path: str
    event: str  # loaded | quarantined | superseded | withdrawn | reinstated
    at: datetime  # UTC, naive
    run_id: str | None
    detail: str | None  # superseded: the sha256 of the new version


def events(home: Home, sha256: str | None = None) -> list[FileEvent]:
    """The history of every file (or of one), oldest first."""
    if not home.state_db.exists():
        return []
    query, params = "select * from file_events", ()
    if sha256 is not None:
        query, params = query + " where sha256 = ?", (sha256,)
    with opened(home) as conn:
        rows = conn.execute(query + " order by event_id", params).fetchall()
    return [FileEvent(r["sha256"], r["original_path"], r["event"],
                      datetime.fromisoformat(r["at"]), r["run_id"], r["detail"]) for r in rows]


def list_files(home: Home, status: str | None = None) -> list[RegisteredFile]:
    """Registered files, oldest first; ``[]`` for a home that never ingested anything."""
    if not home.state_db.exists():
        return []
    query = "select * from ingested_files"
    params: tuple[str, ...] = ()
    if status is not None:
        query += " where status = ?"
        params = (status,)
    with opened(home) as conn:
        rows = conn.execute(query + " order by ingest_seq", params).fetchall()
    return [_from_row(row) for row in rows]


def retracted_files(home: Home) -> list[RegisteredFile]:
    """Loaded files taken out of effect (superseded or withdrawn), the latest first."""
    return sorted((f for f in list_files(home, LOADED) if f.retracted),
                  key=lambda f: (f.retracted_at or "", f.ingest_seq), reverse=True)


def kept_over_quarantined(home: Home) -> list[tuple[RegisteredFile, RegisteredFile]]:
    """(file in effect, newer quarantined version at its last path): the old version stays in
    effect until a version that loads replaces it."""
    if not home.state_db.exists():
        return []
    waiting = {f.original_path: f for f in quarantined_files(home, include_superseded=False)}
    with opened(home) as conn:
        pairs = []
        for file in in_effect_files(conn):
            for path in last_paths(conn, file.sha256):
                newer = waiting.get(path)
                if newer is not None and newer.ingest_seq > file.ingest_seq:
                    pairs.append((file, newer))
    return pairs


def quarantined_files(home: Home, *, include_superseded: bool = True) -> list[RegisteredFile]:
    """Files loaded not at all, with ``reason`` and ``report_path`` saying why.

    ``include_superseded=False`` leaves out those replaced at their inbox path by newer content
    (fixed in place): what is still waiting for the clerk.
    """
    files = list_files(home, QUARANTINED)
    return files if include_superseded else [f for f in files if f.superseded_by is None]


def sightings(home: Home, sha256: str) -> list[str]:
    """Every inbox path (relative) this content was seen under."""
    if not home.state_db.exists():
        return []
    with opened(home) as conn:
        rows = conn.execute("select original_path from file_sightings where sha256 = ? "
                            "order by first_seen, original_path", (sha256,)).fetchall()
    return [row["original_path"] for row in rows]


def record_skipped(conn: sqlite3.Connection, entries: Sequence[tuple[str, str]],
                   now: datetime) -> None:
    """Replace the inbox entries the last run left unread (symbolic links, FIFOs, devices,
    unreadable files) with ``entries``: ``(path relative to the inbox, reason)``."""
    conn.execute("delete from skipped_entries")
    conn.executemany("insert or replace into skipped_entries values (?, ?, ?)",
                     [(path, reason, _stamp(now)) for path, reason in entries])


def skipped_entries(home: Home) -> list[tuple[str, str, str]]:
    """``(path, reason, seen_at)`` of the entries the last ingestion did not read."""
    with closing(connect(home)) as conn:
        return [tuple(r) for r in conn.execute(
            "select original_path, reason, seen_at from skipped_entries order by 1")]
