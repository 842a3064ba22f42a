"""``bcd35 check``: what a file would become if it were dropped, without touching anything.

The file goes through the ingest's own analysis (:func:`bcd35.ingest.pipeline.analyse`, with
the parse context the nightly ingestion gives it), so every problem is reported with exactly
the message the quarantine report would give. Nothing is written: the file is read, and with a
home the registry is opened read-only (never created, migrated or locked for writing).

Where the file would go decides what it would supersede: by default the top of the inbox under
its own name; ``committee`` puts it in that committee's folder; ``destination`` names the
inbox-relative path outright.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from bcd35.config import (
    REFERENCE_DIR,
    Home,
    committee_code,
    committee_of,
    known_committees,
    page_timezone,
)
from bcd35.ingest.errors import CellError
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.originals import read_regular_file, sha256_hex
from bcd35.ingest.pipeline import Analysis, analyse
from bcd35.ingest.quarantine import _where
from bcd35.ingest.reading import MAX_FILE_BYTES, too_large
from bcd35.ingest.rows import ParseContext

# the column whose year puts a row in a partition (committee, year)
YEAR_OF: dict[str, str] = {
    "meeting_log": "ngay", "commendation": "nam_thanh_tich", "bulletin_issue": "nam",
    "bulletin_distribution": "nam", "meta_posts": "publish_time", "collaborator_shares": "ngay",
}


@dataclass(frozen=True)
class Known:
    """A registered file the checked one is related to."""

    sha256: str
    status: str  # as the registry says: loaded, quarantined, (superseded, withdrawn, …)
    path: str  # inbox-relative path it was delivered at
    superseded_by: str | None = None


@dataclass
class FileCheck:
    file: str  # as given
    destination: str  # inbox-relative path it would have
    sha256: str = ""
    kinds: tuple[str, ...] = ()
    data_rows: int | None = None
    rejected_rows: int | None = None
    partitions: dict[tuple[str, int], int] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    kind_guess: str | None = None
    same_bytes: Known | None = None  # these bytes are in the registry already
    replaces: list[Known] = field(default_factory=list)  # other bytes at the same path

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def accepted_rows(self) -> int | None:
        if self.data_rows is None or self.rejected_rows is None:
            return None
        return self.data_rows - self.rejected_rows

    @property
    def loaded_already(self) -> bool:
        return self.same_bytes is not None and self.same_bytes.status == "loaded"

    @property
    def supersedes(self) -> list[Known]:
        return [k for k in self.replaces if k.status == "loaded"]

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file, "destination": self.destination, "sha256": self.sha256,
            "ok": self.ok, "kinds": list(self.kinds), "kind_guess": self.kind_guess,
            "rows": {"data": self.data_rows, "accepted": self.accepted_rows,
                     "rejected": self.rejected_rows},
            "partitions": [{"committee": c, "year": y, "rows": n}
                           for (c, y), n in sorted(self.partitions.items())],
            "loaded_already": self.loaded_already,
            "same_bytes": _known_json(self.same_bytes),
            "supersedes": [_known_json(k) for k in self.supersedes],
            "replaces": [_known_json(k) for k in self.replaces],
            "errors": [error.to_json() for error in self.errors],
        }


def _known_json(known: Known | None) -> dict[str, object] | None:
    if known is None:
        return None
    return {"sha256": known.sha256, "status": known.status, "path": known.path,
            "superseded_by": known.superseded_by}


def destination_of(name: str, committee: str | None = None, as_path: str | None = None) -> str:
    """The inbox-relative path a file would be dropped at (``/``-separated, no ``..``)."""
    if as_path:
        parts = PurePosixPath(as_path.replace("\\", "/")).parts
        if not parts or any(p in ("..", "") for p in parts) or as_path.startswith("/"):
            raise ValueError(f"not a path inside the inbox: {as_path!r}")
        if parts[0] == "inbox" and len(parts) > 1:
            parts = parts[1:]
        return "/".join(parts)
    return f"{committee}/{name}" if committee else name


def _year(value: object) -> int | None:
    if isinstance(value, datetime | date):
        return value.year
    if isinstance(value, int):
        return value
    return None


def _partitions(analysis: Analysis, committee: str) -> dict[tuple[str, int], int]:
    counts: Counter[tuple[str, int]] = Counter()
    for sheet in analysis.parsed:
        column = YEAR_OF.get(sheet.kind.name)
        for line, record in zip(sheet.row_numbers, sheet.records, strict=True):
            if line in sheet.error_lines or column is None:
                continue
            year = _year(record.get(column))
            if year is not None:
                counts[(committee, year)] += 1
    return dict(counts)


def parse_context(file_name: str, now: datetime | None = None) -> ParseContext:
    """The context the nightly ingestion parses a file with (see ``pipeline._Reader``)."""
    moment = now or datetime.now(UTC)
    return ParseContext(max_year=moment.year + 1, file_name=file_name, local_tz=page_timezone())


def check_bytes(data: bytes, name: str, destination: str, home: Home | None,
                now: datetime | None = None) -> FileCheck:
    """Check the bytes of one file that would be dropped at ``destination``."""
    result = FileCheck(file=name, destination=destination, sha256=sha256_hex(data))
    analysis = analyse(data, parse_context(PurePosixPath(destination).name, now))
    _fill(result, analysis, home)
    if home is not None:
        _registry(result, home)
    return result


def check_file(path: Path, home: Home | None = None, destination: str | None = None,
               now: datetime | None = None) -> FileCheck:
    """Check one file on disk; only regular files are read (never a link, FIFO or device)."""
    dest = destination or path.name
    try:
        data, size = read_regular_file(path, MAX_FILE_BYTES)
    except (OSError, ValueError) as exc:
        result = FileCheck(file=str(path), destination=dest)
        result.errors.append(CellError(
            f"Không đọc được tệp: {exc}. Hãy kiểm tra tên và quyền đọc của tệp.",
            f"The file cannot be read: {exc}. Check its name and that it can be read."))
        return result
    if data is None:
        result = FileCheck(file=str(path), destination=dest)
        result.errors.append(too_large(size).error)
        return result
    result = check_bytes(data, str(path), dest, home, now)
    return result


def _fill(result: FileCheck, analysis: Analysis, home: Home | None) -> None:
    result.errors = list(analysis.errors)
    result.kind_guess = analysis.kind_guess
    result.kinds = tuple(dict.fromkeys(sheet.kind.name for sheet in analysis.parsed))
    result.data_rows, result.rejected_rows = analysis.data_rows, analysis.rejected_rows
    # without a home only the reference seed's committees are known (its own committees.csv
    # is the seed itself)
    known = known_committees(home if home is not None else Home(REFERENCE_DIR))
    committee = committee_of(result.destination, committee_code(), known)
    result.partitions = _partitions(analysis, committee)


def _read_only(db: Path) -> sqlite3.Connection:
    """The registry opened so that nothing in the home is written.

    With no connection open the database has no write-ahead log, and ``immutable`` reads the
    file as it is without creating a ``-wal`` or ``-shm`` beside it. While a night holds it
    open (the ``-wal`` exists), ``mode=ro`` reads what that night committed, through the
    shared-memory index the night created.
    """
    wal = db.with_name(db.name + "-wal")
    mode = "mode=ro" if wal.exists() else "immutable=1"
    conn = sqlite3.connect(f"{db.as_uri()}?{mode}", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _registry(result: FileCheck, home: Home) -> None:
    if not home.state_db.is_file():
        return
    with closing(_read_only(home.state_db)) as conn:
        tables = {row[0] for row in conn.execute("select name from sqlite_master")}
        if "ingested_files" not in tables:
            return
        row = conn.execute("select * from ingested_files where sha256 = ?",
                           (result.sha256,)).fetchone()
        if row is not None:
            result.same_bytes = _known(row)
        rows = conn.execute(
            "select f.* from ingested_files f join file_sightings s using (sha256) "
            "where s.original_path = ? and f.sha256 <> ? order by f.ingest_seq",
            (result.destination, result.sha256)).fetchall()
        result.replaces = [_known(r) for r in rows]


def _known(row: sqlite3.Row) -> Known:
    keys = row.keys()
    status = row["retracted"] if "retracted" in keys and row["retracted"] else row["status"]
    return Known(row["sha256"], status, row["original_path"],
                 row["superseded_by"] if "superseded_by" in keys else None)


def check_files(paths: Iterable[Path], home: Home | None = None, committee: str | None = None,
                as_path: str | None = None) -> list[FileCheck]:
    return [check_file(path, home, destination_of(path.name, committee, as_path))
            for path in paths]


def render_text(checks: Iterable[FileCheck]) -> str:
    """The result for a person: Vietnamese, English beside it; problems as the report words
    them (:func:`bcd35.ingest.quarantine.render_text`)."""
    lines: list[str] = []
    for check in checks:
        verdict = "ĐẠT / OK" if check.ok else "KHÔNG ĐẠT / WOULD BE QUARANTINED"
        lines.append(f"{verdict}: {check.file}")
        lines.append(f"  Sẽ đặt tại / would go to: inbox/{check.destination}")
        kinds = check.kinds or ((check.kind_guess,) if check.kind_guess else ())
        labels = ", ".join(f"{k} — {KINDS[k].label_vi}" for k in kinds if k in KINDS)
        lines.append(f"  Loại tệp / kind: {labels or 'không rõ / unknown'}")
        if check.data_rows is not None:
            lines.append(f"  Dòng dữ liệu / data rows: {check.data_rows} = {check.accepted_rows} "
                         f"hợp lệ / valid + {check.rejected_rows} có lỗi / with errors")
        if check.ok:
            rows = check.accepted_rows or 0
            lines.append(f"  Sẽ nạp / would load: {rows} dòng / rows")
            for (committee, year), count in sorted(check.partitions.items()):
                lines.append(f"    phần / partition {committee} {year}: {count} dòng / rows")
        if check.same_bytes is not None:
            known = check.same_bytes
            lines.append(f"  Đã có đúng tệp này / these exact bytes are known already: "
                         f"{known.status} (inbox/{known.path}); nộp lại không thay đổi gì / "
                         f"dropping them again changes nothing")
        for known in check.replaces:
            what = ("sẽ thay thế tệp đã nạp / would supersede the loaded file"
                    if known.status == "loaded" else
                    f"sẽ thay cho tệp ({known.status}) / would replace the {known.status} file")
            lines.append(f"  {what} inbox/{known.path} ({known.sha256[:12]})")
        for number, error in enumerate(check.errors, start=1):
            lines += [f"  {number}. {_where(error)}",
                      f"     Lỗi: {error.reason_vi}",
                      f"     Problem: {error.reason_en}"]
        lines.append("")
    return "\n".join(lines)
