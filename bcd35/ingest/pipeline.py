"""One pass over the inbox: hash → keep original → read → detect → parse → raw or quarantine.

A file is loaded whole or not at all. Files already loaded (same bytes) are skipped; files
quarantined before are looked at again (see :mod:`bcd35.ingest.registry`) and load once they
pass, which changes nothing while they still fail. The inbox is the truth: after the pass, a
loaded file whose bytes are no longer in the inbox is superseded (new bytes that load are at its
path) or withdrawn (nothing is), and its rows leave the raw layer; see :func:`_retract`.
The inbox is only read: nothing in it is ever modified, moved or deleted. Only regular files are
read: symbolic links, FIFOs and devices are reported as skipped and never opened; names are
metadata only (:mod:`bcd35.ingest.names`).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import stat
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path

from bcd35.children import worker_start
from bcd35.config import Home, committee_of, known_committees, page_timezone
from bcd35.failpoints import failpoint
from bcd35.ingest import registry
from bcd35.ingest.columnar import (
    NeedsRows,
    check_unique_keys,
    parse_sheet_columns,
    read_xlsx_columns,
)
from bcd35.ingest.detect import find_header, is_known_header, no_kind_error
from bcd35.ingest.duplicates import mark_duplicates
from bcd35.ingest.errors import CellError, FileRejected
from bcd35.ingest.names import display_name, display_path
from bcd35.ingest.originals import (
    keep_large_original,
    keep_original,
    original_path,
    read_regular_file,
    sha256_hex,
)
from bcd35.ingest.quarantine import QuarantineReport, remove_reports, write_report
from bcd35.ingest.raw import (
    Provenance,
    RawPacks,
    RawRows,
    bytes_table,
    ensure_raw_schemas,
    migrate_raw_schemas,
    raw_table,
    staging_dir,
    table_bytes,
)
from bcd35.ingest.reading import MAX_FILE_BYTES, ZIP_MAGIC, read_sheets, too_large
from bcd35.ingest.rows import ParseContext, ParsedSheet, parse_sheet
from bcd35.release_index import final_release_sources
from bcd35.settings import settings
from bcd35.vietnamese import utc_naive

IGNORED_PREFIXES = (".", "~$")  # hidden files, Office lock files


@dataclass(frozen=True)
class FileOutcome:
    sha256: str
    original_path: str  # relative to the inbox
    kinds: tuple[str, ...] = ()
    rows: int = 0
    error_count: int = 0
    reason: str | None = None
    report_path: Path | None = None

    @property
    def original_name(self) -> str:
        return Path(self.original_path).name


@dataclass
class IngestResult:
    loaded: list[FileOutcome] = field(default_factory=list)
    quarantined: list[FileOutcome] = field(default_factory=list)
    skipped: list[FileOutcome] = field(default_factory=list)
    # time spent reading, hashing and parsing files (in the workers), and their bytes, by file
    # extension (".csv", ".xlsx", …): where the ingestion's time goes
    read_seconds: dict[str, float] = field(default_factory=dict)
    read_bytes: dict[str, int] = field(default_factory=dict)
    # loaded files taken out of effect this run; ``reason`` names what replaced them
    superseded: list[FileOutcome] = field(default_factory=list)
    withdrawn: list[FileOutcome] = field(default_factory=list)
    # withdrawals held back by the guard until the operator confirms them
    pending_withdrawals: list[FileOutcome] = field(default_factory=list)
    # loaded files kept in effect although their path now holds a new version that failed
    kept: list[FileOutcome] = field(default_factory=list)

    def count_read(self, path: Path, read: _Read) -> None:
        suffix = path.suffix.lower()
        self.read_seconds[suffix] = self.read_seconds.get(suffix, 0.0) + read.seconds
        self.read_bytes[suffix] = self.read_bytes.get(suffix, 0) + read.size

    def outcome(self, home: Home) -> dict[str, list[dict]]:
        """Every inbox entry and what became of it, for the run log (paths under the home
        relative to it, so a moved home keeps its links)."""
        def report(f: FileOutcome) -> str | None:
            if f.report_path is None:
                return None
            try:
                return f.report_path.with_suffix(".html").relative_to(home.root).as_posix()
            except ValueError:
                return str(f.report_path)

        return {
            "loaded": [{"file": f.original_path, "kinds": list(f.kinds), "rows": f.rows}
                       for f in self.loaded],
            "quarantined": [{"file": f.original_path, "errors": f.error_count,
                             "reason": f.reason, "report": report(f)}
                            for f in self.quarantined],
            "skipped": [{"file": f.original_path, "reason": f.reason,
                         "same_bytes": bool(f.sha256)} for f in self.skipped],
            **{name: [{"file": f.original_path, "rows": f.rows, "reason": f.reason}
                      for f in files]
               for name, files in (("superseded", self.superseded),
                                   ("withdrawn", self.withdrawn), ("kept", self.kept),
                                   ("pending_withdrawals", self.pending_withdrawals))},
        }

    def summary(self) -> str:
        rows = sum(f.rows for f in self.loaded)
        lines = [f"Đã nạp / Loaded: {len(self.loaded)} tệp / files, {rows} dòng / rows"]
        lines += [f"  + {f.original_path} [{','.join(f.kinds)}] {f.rows} dòng / rows"
                  for f in self.loaded]
        lines.append(f"Cách ly / Quarantined: {len(self.quarantined)} tệp / files")
        lines += [f"  ! {f.original_path}: {f.error_count} lỗi / errors — {f.report_path}"
                  for f in self.quarantined]
        lines.append(f"Bỏ qua (đã có) / Skipped (already seen): {len(self.skipped)} tệp / files")
        lines += [f"  = {f.original_path}" + (f": {f.reason}" if f.reason else "")
                  for f in self.skipped]
        for title, files, mark in (
                ("Thay thế / Superseded", self.superseded, "~"),
                ("Rút khỏi kho / Withdrawn", self.withdrawn, "-"),
                ("Giữ bản cũ (bản mới bị cách ly) / Old version kept (new one quarantined)",
                 self.kept, "!"),
                ("Chờ xác nhận rút / Withdrawals awaiting confirmation",
                 self.pending_withdrawals, "?")):
            if files:
                lines.append(f"{title}: {len(files)} tệp / files")
                lines += [f"  {mark} {f.original_path}: {f.reason}" for f in files]
        return "\n".join(lines)


@dataclass(frozen=True)
class Analysis:
    parsed: Sequence[ParsedSheet]
    errors: Sequence[CellError]
    kind_guess: str | None
    data_rows: int | None = None  # None when the file was not read as any kind
    rejected_rows: int | None = None

    @property
    def accepted_rows(self) -> int | None:
        if self.data_rows is None or self.rejected_rows is None:
            return None
        return self.data_rows - self.rejected_rows


def _walk(inbox: Path) -> tuple[list[tuple[Path, os.stat_result]], list[Path]]:
    """(regular files with their ``lstat``, entries refused: symbolic links and special
    files), hidden files aside."""
    files: list[tuple[Path, os.stat_result]] = []
    refused: list[Path] = []
    for folder, dirs, names in os.walk(inbox):
        base = Path(folder)
        refused += [base / d for d in dirs
                    if not d.startswith(IGNORED_PREFIXES) and (base / d).is_symlink()]
        dirs[:] = [d for d in dirs if not d.startswith(IGNORED_PREFIXES)]
        for name in names:
            if name.startswith(IGNORED_PREFIXES):
                continue
            path = base / name
            try:
                info = path.lstat()
            except OSError:
                continue  # vanished while walking
            if stat.S_ISREG(info.st_mode):
                files.append((path, info))
            else:
                refused.append(path)
    # by the path's parts under the inbox: ``relative_to(inbox).parts`` of a path under it,
    # without building a second path for each
    order = partial(_parts_under, len(inbox.parts))
    return sorted(files, key=lambda f: order(f[0])), sorted(refused, key=order)


def _parts_under(depth: int, path: Path) -> tuple[str, ...]:
    """The parts of ``path`` below a folder ``depth`` parts deep that holds it (its
    ``relative_to(folder).parts``)."""
    return path.parts[depth:]


def inbox_files(inbox: Path) -> list[Path]:
    """Every regular file under ``inbox`` (sub-folders too) in sorted order.

    Hidden files, Office lock files (``~$…``), symbolic links and special files are left out.
    """
    return [path for path, _ in _walk(inbox)[0]]


def analyse(data: bytes, ctx: ParseContext, *, columnar: bool = False) -> Analysis:
    """Read, detect and parse every sheet of a file; collect every error.

    ``columnar``: parse a clean file column by column (:mod:`bcd35.ingest.columnar`); the same
    result, and the row parser as soon as anything is not clean (it names every error).
    """
    if columnar:
        clean = _analyse_columns(data, ctx)
        if clean is not None:
            return clean
    try:
        sheets = read_sheets(data, is_known_header)
        matched = [(sheet, match) for sheet in sheets if (match := find_header(sheet))]
        if not matched:
            raise no_kind_error(sheets)
    except FileRejected as exc:
        return Analysis((), (exc.error,), exc.kind_guess)
    parsed = [parse_sheet(sheet, match, ctx) for sheet, match in matched]
    mark_duplicates(parsed)
    errors = [error for sheet in parsed
              for error in sorted(sheet.errors, key=lambda e: e.line or 0)]
    if not errors and not any(sheet.records for sheet in parsed):
        errors = [CellError(
            "Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào. Hãy thêm dữ liệu bên dưới dòng "
            "tiêu đề, hoặc bỏ tệp này khỏi inbox.",
            "The file has a header row but no data rows. Add the data below the header, or "
            "take the file out of the inbox.",
            line=matched[0][1].line, sheet=matched[0][0].name)]
    return Analysis(parsed, errors, parsed[0].kind.name,
                    data_rows=sum(len(sheet.records) for sheet in parsed),
                    rejected_rows=sum(sheet.rejected_rows for sheet in parsed))


def _analyse_columns(data: bytes, ctx: ParseContext) -> Analysis | None:
    """The analysis of a clean file, parsed column by column; ``None`` for any other file."""
    try:
        if data.startswith(ZIP_MAGIC) and len(data) <= MAX_FILE_BYTES:
            sheets = read_xlsx_columns(data, is_known_header)
        else:
            sheets = read_sheets(data, is_known_header)
        matched = [(sheet, match) for sheet in sheets if (match := find_header(sheet))]
        if not matched:
            return None
        clean = [parse_sheet_columns(sheet, match, ctx) for sheet, match in matched]
        check_unique_keys(clean)
    except (FileRejected, NeedsRows):
        return None
    rows = sum(len(sheet.row_numbers) for sheet in clean)
    return Analysis(clean, [], clean[0].kind.name, data_rows=rows, rejected_rows=0)


def _reason(errors: Sequence[CellError]) -> str:
    first = errors[0]
    where = ", ".join(part for part in (
        f"sheet {first.sheet}" if first.sheet is not None else "",
        f"dòng / line {first.line}" if first.line is not None else "",
        f"cột / column {first.column}" if first.column is not None else "") if part)
    more = f" (+{len(errors) - 1} lỗi khác / more)" if len(errors) > 1 else ""
    prefix = f"{where}: " if where else ""
    return f"{prefix}{first.reason_vi} / {first.reason_en}{more}"


def _stage(analysis: Analysis, prov: Provenance) -> tuple[tuple[str, bytes], ...]:
    """The raw rows of an accepted file, per kind: ``(kind, table)``, the table as an Arrow
    IPC stream (:func:`~bcd35.ingest.raw.table_bytes`), as it crosses the pool's pipe.

    They reach the raw layer when the batch that registers the file writes its packs
    (:class:`_Batch`), in the order the registry records the files.
    """
    by_kind: dict[str, list[ParsedSheet]] = {}
    for sheet in analysis.parsed:
        by_kind.setdefault(sheet.kind.name, []).append(sheet)
    return tuple(
        (name, table_bytes(raw_table(
            sheets[0].kind, [RawRows(s.sheet, s.row_numbers, s.records, s.table) for s in sheets],
            prov)))
        for name, sheets in by_kind.items())


@dataclass(frozen=True)
class _Job:
    home: Home
    conn: sqlite3.Connection
    now: datetime
    reader: _Reader  # also holds the committees and the files loaded before this run
    packs: RawPacks
    run_id: str | None = None


def _quarantine(job: _Job, record: registry.RegisteredFile, analysis: Analysis,
                rel: str) -> tuple[registry.RegisteredFile, FileOutcome]:
    report = write_report(job.home, QuarantineReport(
        rel, record.sha256, analysis.kind_guess, analysis.errors, job.now,
        data_rows=analysis.data_rows, rejected_rows=analysis.rejected_rows))
    kinds = (analysis.kind_guess,) if analysis.kind_guess else ()
    reason = _reason(analysis.errors)
    quarantined = replace(
        record, kinds=kinds, status=registry.QUARANTINED, rows=0,
        error_count=len(analysis.errors), report_path=report.relative_to(job.home.root).as_posix(),
        reason=reason, data_rows=analysis.data_rows or 0,
        rejected_rows=analysis.rejected_rows or 0)
    outcome = FileOutcome(record.sha256, rel, kinds, 0, len(analysis.errors), reason, report)
    return quarantined, outcome


def _accept(job: _Job, record: registry.RegisteredFile, read: _Read,
            rel: str) -> tuple[registry.RegisteredFile, FileOutcome]:
    if read.seq != record.ingest_seq:  # staged under another number: cannot happen
        raise RuntimeError(f"{rel}: staged as ingest_seq {read.seq}, registered as "
                           f"{record.ingest_seq}")
    for name, data in read.staged:
        job.packs.add(name, record.sha256, bytes_table(data))
    kinds, rows = tuple(name for name, _ in read.staged), read.rows
    loaded = replace(record, kinds=kinds, status=registry.LOADED, rows=rows, error_count=0,
                     report_path=None, reason=None, data_rows=rows, rejected_rows=0)
    return loaded, FileOutcome(record.sha256, rel, kinds, rows)


def _ingest_new(job: _Job, rel: str, name: str, sha: str,
                read: _Read) -> tuple[bool, FileOutcome]:
    """Process a file not seen before (its original already kept); True when it was loaded."""
    home, now = job.home, job.now
    analysis = read.analysis
    assert analysis is not None
    seq = read.seq
    registry.claim_ingest_seq(job.conn, seq, sha)
    record = registry.RegisteredFile(
        sha256=sha, original_name=display_name(name), original_path=rel,
        stored_path=original_path(home, sha).relative_to(home.root).as_posix(), kinds=(),
        status=registry.LOADED, rows=0, error_count=0, report_path=None, reason=None,
        first_seen=now, last_seen=now, ingest_seq=seq)
    if analysis.errors:
        record, outcome = _quarantine(job, record, analysis, rel)
    else:
        record, outcome = _accept(job, record, read, rel)
    registry.record_file(job.conn, record)
    registry.record_event(job.conn, sha, rel, record.status, now, job.run_id)
    registry.supersede(job.conn, sha, rel)
    return not analysis.errors, outcome


def _retry(job: _Job, known: registry.RegisteredFile, rel: str, read: _Read,
           result: IngestResult) -> None:
    """A file quarantined before, seen again: load it if it now passes, else change nothing."""
    analysis = read.analysis
    assert analysis is not None
    seen = replace(known, last_seen=job.now)
    if analysis.errors:
        updated, _ = _quarantine(job, seen, analysis, rel) \
            if _reason(analysis.errors) != known.reason else (seen, None)
        registry.update_file(job.conn, replace(updated, original_path=known.original_path))
        registry.touch(job.conn, known.sha256, rel, job.now)
        reason = f"đã có / already {known.status} ({known.original_path})"
        result.skipped.append(FileOutcome(known.sha256, rel, known.kinds, 0,
                                          len(analysis.errors), reason))
        return
    loaded, outcome = _accept(job, seen, read, rel)
    registry.update_file(job.conn, replace(loaded, original_path=known.original_path,
                                           superseded_by=None))
    registry.touch(job.conn, known.sha256, rel, job.now)
    registry.record_event(job.conn, known.sha256, rel, registry.LOADED, job.now, job.run_id)
    remove_reports(job.home, known.sha256)
    registry.supersede(job.conn, known.sha256, rel)
    result.loaded.append(outcome)


def _reinstate(job: _Job, known: registry.RegisteredFile, rel: str, read: _Read,
               result: IngestResult) -> None:
    """A superseded or withdrawn file whose bytes are back in the inbox: loaded again, under a
    new ``ingest_seq`` (it is the latest delivery, so it wins on the natural keys)."""
    analysis = read.analysis
    assert analysis is not None
    if analysis.errors:  # loaded once, refused by today's code: say so, keep it retracted
        result.skipped.append(FileOutcome(known.sha256, rel, known.kinds, 0,
                                          len(analysis.errors), _reason(analysis.errors)))
        return
    registry.claim_ingest_seq(job.conn, read.seq, known.sha256)
    record = replace(known, ingest_seq=read.seq, last_seen=job.now, retracted=None,
                     retracted_at=None, retracted_run=None, superseded_by=None)
    loaded, outcome = _accept(job, record, read, rel)
    registry.update_file(job.conn, loaded)
    registry.touch(job.conn, known.sha256, rel, job.now)
    registry.record_event(job.conn, known.sha256, rel, "reinstated", job.now, job.run_id)
    result.loaded.append(outcome)


def _too_large_analysis(size: int) -> Analysis:
    return Analysis((), (too_large(size).error,), None)


@dataclass(frozen=True)
class _Read:
    """An inbox file read and hashed, and analysed unless its bytes are loaded already."""

    stat: registry.FileStat | None = None  # lstat before reading
    sha: str = ""  # "" when unreadable
    size: int = 0
    large: bool = False  # too large to read into memory: hashed and kept in chunks
    analysis: Analysis | None = None  # None when the bytes were loaded before (or unreadable)
    unreadable: str | None = None
    seconds: float = 0.0  # spent reading, hashing and analysing
    seq: int = 0  # the ingest_seq its raw rows were made under
    staged: tuple[tuple[str, bytes], ...] = ()  # (kind, raw rows as IPC) of an accepted file
    rows: int = 0  # rows staged


@dataclass(frozen=True)
class _Task:
    path: Path
    rel: str  # relative to the inbox
    seq: int  # allocated for it, used if its bytes are new
    size: int = 0  # bytes, as the inbox was listed (only to group the files sent to a worker)


@dataclass(frozen=True)
class _Reader:
    """Reads, hashes, keeps and analyses one inbox file; runs in a worker process or inline.

    Only the original is written here (content-addressed, so workers cannot collide); the
    registry and the raw layer are written by the one process that runs :func:`ingest_inbox`.
    """

    home: Home
    now: datetime
    committee: str  # the home's default committee
    known: frozenset[str]  # committee codes that may name an inbox folder
    loaded: frozenset[str]  # sha256 of the files loaded before this run
    quarantined: Mapping[str, int]  # sha256 → ingest_seq of the files quarantined before
    local_tz: str = field(default_factory=page_timezone)
    # read once per run, not per file: building the settings from the environment took
    # 7 ms, a third of a small file's time (docs/performance.md)
    columnar: bool = field(default_factory=lambda: columnar_ingest())

    def __call__(self, task: _Task) -> _Read:
        started = time.perf_counter()
        read = self._read(task)
        return replace(read, seconds=time.perf_counter() - started)

    def _read(self, task: _Task) -> _Read:
        path = task.path
        try:
            stat = registry.FileStat.of(path.lstat())
            data, size = read_regular_file(path, MAX_FILE_BYTES)
            if data is None:
                sha, _ = keep_large_original(self.home, path)
                return _Read(stat, sha, size, large=True, analysis=_too_large_analysis(size))
            sha = sha256_hex(data)
        except (OSError, ValueError) as exc:
            return _Read(unreadable=f"không đọc được / unreadable: {exc}")
        if sha in self.loaded:
            return _Read(stat, sha, size)
        keep_original(self.home, sha, data, durable=False)
        ctx = ParseContext(max_year=self.now.year + 1, file_name=path.name,
                           local_tz=self.local_tz)
        analysis = analyse(data, ctx, columnar=self.columnar)
        seq = self.quarantined.get(sha, task.seq)  # a quarantined file keeps its number
        if analysis.errors:
            return _Read(stat, sha, size, analysis=_summary(analysis), seq=seq)
        prov = Provenance(committee_of(task.rel, self.committee, self.known), sha, self.now,
                          seq)
        staged = _stage(analysis, prov)
        rows = sum(len(sheet.row_numbers) for sheet in analysis.parsed)
        return _Read(stat, sha, size, analysis=_summary(analysis), seq=seq, staged=staged,
                     rows=rows)


def _summary(analysis: Analysis) -> Analysis:
    """The analysis without its rows (written already): what the main process needs."""
    return replace(analysis, parsed=())


_WORKER_READER: _Reader | None = None


def _start_worker(reader: _Reader, parent: int) -> None:
    global _WORKER_READER
    worker_start(parent)  # never outlive the run, even a `kill -9` of it
    _WORKER_READER = reader


def _read_in_worker(chunk: Sequence[_Task]) -> list[_Read]:
    assert _WORKER_READER is not None, "worker not started"
    return [_WORKER_READER(task) for task in chunk]


def columnar_ingest() -> bool:
    """Clean files parsed column by column (the default); ``BCD35_COLUMNAR_INGEST=0`` parses
    every file row by row, as before (to compare the two)."""
    return settings().columnar_ingest


def ingest_workers() -> int:
    """Processes that read and parse files: ``BCD35_INGEST_WORKERS``, else one per CPU (≤ 4)."""
    configured = settings().ingest_workers
    if configured:
        return max(1, configured)
    return max(1, min(4, len(os.sched_getaffinity(0))))


MIN_FILES_PER_WORKER = 32  # below this, starting worker processes costs more than it saves
CHUNK_FILES = 16  # files sent to a worker at once: the pool's own work is per message
CHUNK_BYTES = 4 * 1024 * 1024  # … and no more bytes than this, unless one file is larger


def _chunks(tasks: Sequence[_Task]) -> Iterator[list[_Task]]:
    """Consecutive tasks in groups of at most ``CHUNK_FILES`` files and ``CHUNK_BYTES`` (a
    larger file goes alone). Each message to and from a worker costs the main process about
    0.2 ms of CPU (pickling, the pool's thread, the future): about 1.6 s for the 8 556 files
    of a province night, a 27 s ingest then (docs/performance.md#chunks)."""
    chunk: list[_Task] = []
    size = 0
    for task in tasks:
        if chunk and (len(chunk) >= CHUNK_FILES or size + task.size > CHUNK_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(task)
        size += task.size
    if chunk:
        yield chunk


def _in_order(pool: ProcessPoolExecutor, tasks: Sequence[_Task],
              window: int) -> Iterator[_Read]:
    """The results in task order, at most ``window`` chunks of tasks in flight: a main process
    slower than its workers never holds more than that many chunks' results."""
    pending: deque[Future[list[_Read]]] = deque()
    queue = _chunks(tasks)
    for chunk in islice(queue, window):
        pending.append(pool.submit(_read_in_worker, chunk))
    while pending:
        done = pending.popleft().result()
        for chunk in islice(queue, 1):
            pending.append(pool.submit(_read_in_worker, chunk))
        yield from done


def _before_fork() -> None:
    """Import once, before the workers are forked, what each of them would import on its own:
    pyarrow imports pandas (its pandas shim) on its first conversion of a Python list, 0.3–0.5 s
    of CPU in each process; the main process converts lists too, so it pays that once, here,
    and the workers inherit it (docs/performance.md#csv-shortcuts)."""
    import pyarrow as pa

    pa.array([0], pa.int64())


@contextmanager
def _reading(reader: _Reader, tasks: Sequence[_Task]) -> Iterator[Iterator[_Read]]:
    """The files read in order: by a pool of processes when there are many, else inline."""
    workers = min(ingest_workers(), len(tasks) // MIN_FILES_PER_WORKER)
    if workers < 2:
        yield map(reader, tasks)
        return
    # fork: the workers inherit the imported modules and the reader, and nothing re-imports
    # the main module (a script without a __main__ guard, or Airflow's task runner)
    _before_fork()
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                               initargs=(reader, os.getpid()))
    try:
        pool.submit(int).result()  # a daemonic process (a Celery worker) cannot have children
    except (AssertionError, OSError, BrokenProcessPool):
        pool.shutdown(cancel_futures=True)
        yield map(reader, tasks)
        return
    try:
        yield _in_order(pool, tasks, window=4 * workers)
    except BaseException:  # stopped or failed: the files not read yet are not read at all
        for process in list((pool._processes or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


def _known_unchanged(job: _Job, rel: str, info: os.stat_result,
                     stats: dict[str, tuple[registry.FileStat, str]]) -> str | None:
    """The sha256 of a file loaded before whose ``lstat`` (``info``, taken by :func:`_walk`)
    has not changed since: not re-read."""
    cached = stats.get(rel)
    if cached is None:
        return None
    before, sha = cached
    return sha if registry.FileStat.of(info) == before and sha in job.reader.loaded else None


def _skip_known(job: _Job, known: registry.RegisteredFile, rel: str,
                result: IngestResult) -> None:
    registry.touch(job.conn, known.sha256, rel, job.now)
    _skipped(known, rel, result)


def _skipped(known: registry.RegisteredFile | registry.SeenFile, rel: str,
             result: IngestResult) -> None:
    reason = f"đã có / already {known.status} ({known.original_path})"
    result.skipped.append(FileOutcome(known.sha256, rel, known.kinds, known.rows,
                                      known.error_count, reason))


def _ingest_read(job: _Job, task: _Task, read: _Read, result: IngestResult) -> None:
    path, rel = task.path, task.rel
    result.count_read(path, read)
    if read.unreadable is not None:
        result.skipped.append(FileOutcome("", rel, reason=read.unreadable))
        return
    sha = read.sha
    if read.stat is not None:
        registry.remember_stat(job.conn, rel, read.stat, sha)
    known = registry.get_file(job.conn, sha)
    if known is not None and known.status == registry.LOADED and not known.in_effect \
            and read.staged:
        _reinstate(job, known, rel, read, result)
        return
    if known is not None and (known.status == registry.LOADED or read.large):
        # the same bytes twice in one run: loaded once (these rows are not used)
        _skip_known(job, known, rel, result)
        return
    if known is not None:
        if read.staged and read.seq != known.ingest_seq:  # quarantined earlier in this run
            read = job.reader(replace(task, seq=known.ingest_seq))
        _retry(job, known, rel, read, result)
        return
    loaded, outcome = _ingest_new(job, rel, path.name, sha, read)
    (result.loaded if loaded else result.quarantined).append(outcome)


def _refuse_entries(entries: Sequence[Path], inbox: Path, result: IngestResult) -> None:
    for path in entries:
        rel = display_path(path.relative_to(inbox).as_posix())
        what = "liên kết tượng trưng / symbolic link" if path.is_symlink() else \
            "không phải tệp thường / not a regular file"
        result.skipped.append(FileOutcome("", rel, reason=f"bỏ qua / ignored: {what}"))


BATCH_FILES = 500  # files read per registry commit, and so per pack of each kind


class _Batch:
    """Commit the registry every ``files`` files read or ``seconds`` seconds, the data synced
    first.

    Originals are written without an fsync each; the raw rows of the batch's files are
    written as one pack per kind when the batch ends. Before their registry rows are
    committed, one ``os.sync()`` makes both durable. A crash loses at most the rows of the
    open batch: those files are read again on the next run (by content, nothing doubles), and
    their packs, if written, hold no file in effect, so the next run removes them
    (:meth:`RawPacks.retain`).
    """

    def __init__(self, conn: sqlite3.Connection, packs: RawPacks, files: int | None = None,
                 seconds: float = 10.0):
        self.conn, self.packs, self.seconds = conn, packs, seconds
        self.files = files if files is not None else BATCH_FILES
        self.pending, self.started = 0, time.monotonic()

    def done_one(self) -> None:
        """A file read: ``files`` of them make a batch (and its packs)."""
        self.pending += 1
        if self.pending >= self.files:
            self.commit()
        else:
            self.tick()

    def tick(self) -> None:
        """A file seen unchanged: the batch ends only when it is ``seconds`` old, so the few
        new files of a night among thousands unchanged make one pack per kind, not one per
        500 files walked."""
        if time.monotonic() - self.started >= self.seconds:
            self.commit()

    def commit(self) -> None:
        self.packs.flush()
        if self.conn.in_transaction:
            failpoint("ingest:before_commit")
            os.sync()
            self.conn.commit()
        self.pending, self.started = 0, time.monotonic()


WITHDRAWAL_GUARD = 0.10  # a night withdrawing more than this share of the loaded files stops


class _Presence:
    """What the inbox holds tonight: path → sha256, and the paths whose bytes are unknown."""

    def __init__(self) -> None:
        self.shas: dict[str, str] = {}
        self.unknown: set[str] = set()

    def saw(self, rel: str, sha: str) -> None:
        if sha:
            self.shas[rel] = sha
        else:
            self.unknown.add(rel)


def _retract(job: _Job, presence: _Presence, before: int, accept_withdrawals: bool,
             result: IngestResult) -> list[str]:
    """Take out of effect every loaded file whose bytes are no longer in the inbox.

    Where it was last seen, new bytes that loaded supersede it; new bytes that were
    quarantined leave it in effect (the old version stays until a good one comes); nothing at
    all withdraws it. Withdrawals of more than ``WITHDRAWAL_GUARD`` of the ``before`` files in
    effect are held until the operator confirms (``accept_withdrawals``). A path whose bytes
    could not be read tonight retracts nothing. Returns the sha256 retracted.
    """
    present = set(presence.shas.values())
    conn = job.conn
    in_effect = registry.loaded_shas(conn)
    supersede: list[tuple[registry.RegisteredFile, str]] = []
    withdraw: list[registry.RegisteredFile] = []
    # only the files in effect whose bytes the inbox no longer holds (on most nights none of
    # tens of thousands), in the order they were loaded
    gone = sorted(registry.files_of(conn, in_effect - present).values(),
                  key=lambda f: f.ingest_seq)
    for file in gone:
        paths = registry.last_paths(conn, file.sha256)
        if presence.unknown.intersection(paths):
            continue
        there = [presence.shas[p] for p in paths if p in presence.shas]
        newer = [sha for sha in there if sha in in_effect]
        if newer:
            supersede.append((file, newer[0]))
        elif there:
            result.kept.append(FileOutcome(
                file.sha256, file.original_path, file.kinds, file.rows,
                reason="bản mới ở cùng chỗ bị cách ly, bản cũ vẫn có hiệu lực / the new version "
                       "at this path was quarantined; the old one stays in effect"))
        else:
            withdraw.append(file)
    for file, by in supersede:
        registry.retract(conn, file, registry.SUPERSEDED, job.now, job.run_id, by)
        new_path = next(p for p, sha in presence.shas.items() if sha == by)
        result.superseded.append(FileOutcome(
            file.sha256, file.original_path, file.kinds, file.rows,
            reason=f"thay bằng / superseded by {new_path} ({by[:12]})"))
    finals = final_release_sources(job.home) if withdraw and not accept_withdrawals else {}
    filed = [f for f in withdraw if f.sha256 in finals]
    if filed and not (len(withdraw) > WITHDRAWAL_GUARD * before):
        # any file behind a final release: the office filed figures made from it
        result.pending_withdrawals += [FileOutcome(
            f.sha256, f.original_path, f.kinds, f.rows,
            reason=f"tệp của bản phát hành chính thức / a file of the final release "
                   f"{', '.join(finals[f.sha256])}; xác nhận bằng / confirm with "
                   "`bcd35 run --accept-withdrawals`")
            for f in filed]
        withdraw = [f for f in withdraw if f.sha256 not in finals]
        if withdraw:  # nothing is withdrawn until the operator has confirmed
            result.pending_withdrawals += [FileOutcome(
                f.sha256, f.original_path, f.kinds, f.rows,
                reason="chờ cùng các tệp trên / held with the files above")
                for f in withdraw]
            withdraw = []
    if withdraw and len(withdraw) > WITHDRAWAL_GUARD * before and not accept_withdrawals:
        result.pending_withdrawals += [FileOutcome(
            f.sha256, f.original_path, f.kinds, f.rows,
            reason=f"{len(withdraw)}/{before} tệp đã nạp biến mất khỏi inbox (quá "
                   f"{WITHDRAWAL_GUARD:.0%}); xác nhận bằng `bcd35 run --accept-withdrawals` / "
                   f"{len(withdraw)} of {before} loaded files are gone from the inbox (over "
                   f"{WITHDRAWAL_GUARD:.0%}); confirm with `bcd35 run --accept-withdrawals`")
            for f in withdraw]
        withdraw = []
    for file in withdraw:
        registry.retract(conn, file, registry.WITHDRAWN, job.now, job.run_id)
        result.withdrawn.append(FileOutcome(
            file.sha256, file.original_path, file.kinds, file.rows,
            reason="không còn trong inbox / no longer in the inbox"))
    return [f.sha256 for f, _ in supersede] + [f.sha256 for f in withdraw]


def ingest_inbox(home: Home, committee: str, now: datetime | None = None, *,
                 run_id: str | None = None, accept_withdrawals: bool = False) -> IngestResult:
    """Ingest every new file of ``home.inbox``; see the module docstring."""
    moment = utc_naive(now if now is not None else datetime.now(UTC)).replace(microsecond=0)
    for folder in (home.inbox, home.originals, home.raw, home.quarantine, home.state):
        folder.mkdir(parents=True, exist_ok=True)
    result = IngestResult()
    with registry.opened(home) as conn:
        loaded = registry.loaded_shas(conn)
        packs = RawPacks(home)
        packs.retain(loaded)  # the packs of a run stopped before it committed them
        migrate_raw_schemas(home)  # after an upgrade that changed a raw column: once
        shutil.rmtree(staging_dir(home), ignore_errors=True)  # left by an older version
        known = known_committees(home)
        reader = _Reader(home, moment, committee, known, loaded,
                         registry.quarantined_seqs(conn))
        job = _Job(home, conn, moment, reader, packs, run_id)
        presence = _Presence()
        listed, refused = _walk(home.inbox)
        stats = registry.file_stats(conn)
        depth = len(home.inbox.parts)
        rels = [display_path("/".join(_parts_under(depth, path))) for path, _ in listed]
        unchanged = [_known_unchanged(job, rel, info, stats)
                     for rel, (_, info) in zip(rels, listed, strict=True)]
        tasks = [_Task(path, rel, registry.allocate_ingest_seq(conn, "", moment), info.st_size)
                 for (path, info), rel, sha in zip(listed, rels, unchanged, strict=True)
                 if sha is None]
        batch, pending = _Batch(conn, packs), iter(tasks)
        # the files seen unchanged: their registry rows read at once, their sightings written
        # at once after the walk (one statement each, not three a file: 50 000 a night at
        # national); nothing of the night changes those rows before _retract
        known_files = registry.seen_files(conn, [sha for sha in unchanged if sha is not None])
        seen: list[tuple[str, str]] = []
        with _reading(reader, tasks) as reads:
            for rel, sha in zip(rels, unchanged, strict=True):
                if sha is not None:
                    _skipped(known_files[sha], rel, result)
                    seen.append((sha, rel))
                    presence.saw(rel, sha)
                    batch.tick()  # a sighting only: counts toward no batch's files
                else:
                    read = next(reads)
                    _ingest_read(job, next(pending), read, result)
                    presence.saw(rel, read.sha)
                    if len(result.loaded) + len(result.quarantined) == 1:
                        failpoint("ingest:reading")  # workers are busy with the next files
                    batch.done_one()
        registry.touch_many(conn, seen, moment)
        for path in refused:  # a symlink or FIFO at a loaded file's path retracts nothing
            presence.unknown.add(display_path("/".join(_parts_under(depth, path))))
        retracted = _retract(job, presence, len(loaded), accept_withdrawals, result)
        batch.commit()
        if retracted:  # their rows leave the raw layer (derived data: the originals stay)
            packs.retain(registry.loaded_shas(conn))
        _refuse_entries(refused, home.inbox, result)
        registry.record_skipped(conn, [(f.original_path, f.reason or "") for f in result.skipped
                                       if not f.sha256], moment)
    ensure_raw_schemas(home)
    return result
