"""One pass over the inbox: hash → keep original → read → detect → parse → raw or quarantine.

A file is loaded whole or not at all. Files already in the registry (same bytes) are skipped.
The inbox is only read: nothing in it is ever modified, moved or deleted.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bcd35.config import Home, page_timezone
from bcd35.ingest import registry
from bcd35.ingest.detect import find_header, is_known_header, no_kind_error
from bcd35.ingest.errors import CellError, FileRejected
from bcd35.ingest.originals import keep_original, sha256_hex
from bcd35.ingest.quarantine import QuarantineReport, write_report
from bcd35.ingest.raw import Provenance, RawRows, ensure_raw_schemas, write_raw
from bcd35.ingest.reading import read_sheets
from bcd35.ingest.rows import ParseContext, ParsedSheet, parse_sheet
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
        return "\n".join(lines)


@dataclass(frozen=True)
class Analysis:
    parsed: Sequence[ParsedSheet]
    errors: Sequence[CellError]
    kind_guess: str | None


def inbox_files(inbox: Path) -> list[Path]:
    """Every file under ``inbox`` (sub-folders too) in sorted order, hidden and lock files aside."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(inbox):
        dirs[:] = [d for d in dirs if not d.startswith(IGNORED_PREFIXES)]
        found += [Path(folder) / name for name in files if not name.startswith(IGNORED_PREFIXES)]
    return sorted((p for p in found if p.is_file()), key=lambda p: p.relative_to(inbox).parts)


def analyse(data: bytes, ctx: ParseContext) -> Analysis:
    """Read, detect and parse every sheet of a file; collect every error."""
    try:
        sheets = read_sheets(data, is_known_header)
        matched = [(sheet, match) for sheet in sheets if (match := find_header(sheet))]
        if not matched:
            raise no_kind_error(sheets)
    except FileRejected as exc:
        return Analysis((), (exc.error,), exc.kind_guess)
    parsed = [parse_sheet(sheet, match, ctx) for sheet, match in matched]
    errors = [error for sheet in parsed for error in sheet.errors]
    if not errors and not any(sheet.records for sheet in parsed):
        errors = [CellError(
            "Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào.",
            "The file has a header row but no data rows.",
            line=matched[0][1].line, sheet=matched[0][0].name)]
    return Analysis(parsed, errors, parsed[0].kind.name)


def _reason(errors: Sequence[CellError]) -> str:
    first = errors[0]
    where = ", ".join(part for part in (
        f"sheet {first.sheet}" if first.sheet is not None else "",
        f"dòng / line {first.line}" if first.line is not None else "",
        f"cột / column {first.column}" if first.column is not None else "") if part)
    more = f" (+{len(errors) - 1} lỗi khác / more)" if len(errors) > 1 else ""
    prefix = f"{where}: " if where else ""
    return f"{prefix}{first.reason_vi} / {first.reason_en}{more}"


def _load(home: Home, analysis: Analysis, prov: Provenance) -> tuple[tuple[str, ...], int]:
    by_kind: dict[str, list[ParsedSheet]] = {}
    for sheet in analysis.parsed:
        by_kind.setdefault(sheet.kind.name, []).append(sheet)
    for sheets in by_kind.values():
        parts = [RawRows(s.sheet, s.row_numbers, s.records) for s in sheets]
        write_raw(home, sheets[0].kind, parts, prov)
    return tuple(by_kind), sum(len(s.records) for s in analysis.parsed)


@dataclass(frozen=True)
class _Job:
    home: Home
    conn: sqlite3.Connection
    committee: str
    now: datetime


def _ingest_new(job: _Job, rel: str, sha: str, data: bytes) -> tuple[bool, FileOutcome]:
    """Process a file not seen before; True when it was loaded."""
    home, now = job.home, job.now
    stored = keep_original(home, sha, data)
    ctx = ParseContext(max_year=now.year + 1, file_name=Path(rel).name, local_tz=page_timezone())
    analysis = analyse(data, ctx)
    seq = registry.allocate_ingest_seq(job.conn, sha, now)
    record = registry.RegisteredFile(
        sha256=sha, original_name=Path(rel).name, original_path=rel,
        stored_path=stored.relative_to(home.root).as_posix(), kinds=(), status=registry.LOADED,
        rows=0, error_count=0, report_path=None, reason=None, first_seen=now, last_seen=now,
        ingest_seq=seq)
    if analysis.errors:
        report = write_report(home, QuarantineReport(rel, sha, analysis.kind_guess,
                                                     analysis.errors, now))
        kinds = (analysis.kind_guess,) if analysis.kind_guess else ()
        reason = _reason(analysis.errors)
        registry.record_file(job.conn, replace(
            record, kinds=kinds, status=registry.QUARANTINED, error_count=len(analysis.errors),
            report_path=report.relative_to(home.root).as_posix(), reason=reason))
        return False, FileOutcome(sha, rel, kinds, 0, len(analysis.errors), reason, report)
    kinds, rows = _load(home, analysis, Provenance(job.committee, sha, now, seq))
    registry.record_file(job.conn, replace(record, kinds=kinds, rows=rows))
    return True, FileOutcome(sha, rel, kinds, rows)


def _ingest_one(job: _Job, path: Path, result: IngestResult) -> None:
    rel = path.relative_to(job.home.inbox).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.skipped.append(FileOutcome("", rel, reason=f"không đọc được / unreadable: {exc}"))
        return
    sha = sha256_hex(data)
    known = registry.get_file(job.conn, sha)
    if known is not None:
        registry.touch(job.conn, sha, rel, job.now)
        reason = f"đã có / already {known.status} ({known.original_path})"
        result.skipped.append(FileOutcome(sha, rel, known.kinds, known.rows,
                                          known.error_count, reason))
        return
    loaded, outcome = _ingest_new(job, rel, sha, data)
    (result.loaded if loaded else result.quarantined).append(outcome)


def ingest_inbox(home: Home, committee: str, now: datetime | None = None) -> IngestResult:
    """Ingest every new file of ``home.inbox``; see the module docstring."""
    moment = utc_naive(now if now is not None else datetime.now(UTC)).replace(microsecond=0)
    for folder in (home.inbox, home.originals, home.raw, home.quarantine, home.state):
        folder.mkdir(parents=True, exist_ok=True)
    result = IngestResult()
    with registry.opened(home) as conn:
        job = _Job(home, conn, committee, moment)
        for path in inbox_files(home.inbox):
            _ingest_one(job, path, result)
    ensure_raw_schemas(home)
    return result
