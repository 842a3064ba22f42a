"""Recognise the kind of a sheet from its header row (never from the file name).

Header cells are compared after :func:`bcd35.vietnamese.fold_header` (case, diacritics, tone
placement and spacing do not matter). A kind matches a row when every one of its required
columns is there; the header may sit below title rows (the first ``HEADER_SCAN_ROWS`` non-blank
rows are tried).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

from bcd35.ingest.errors import FileRejected
from bcd35.ingest.kinds import KINDS, Column, Kind
from bcd35.ingest.reading import HEADER_SCAN_ROWS, RawSheet, Row, is_blank_row
from bcd35.vietnamese import fold_header


@dataclass(frozen=True)
class HeaderMatch:
    """Where each column of ``kind`` sits in a header row."""

    kind: Kind
    line: int  # line (CSV) or row (XLSX) of the header
    width: int  # number of cells in the header row
    positions: dict[str, int]  # column name -> cell index
    header_text: dict[str, str]  # column name -> header as written in the file
    spelling: dict[str, int]  # column name -> index into Column.headers of the matched spelling


@dataclass(frozen=True)
class NearMiss:
    kind: Kind
    missing: tuple[str, ...]  # required headers absent, canonical spelling
    present: int
    line: int | None
    sheet: str | None


@lru_cache(maxsize=1)
def _spellings() -> dict[str, dict[str, tuple[Column, int]]]:
    """kind -> folded header -> (column, index of the spelling)."""
    table: dict[str, dict[str, tuple[Column, int]]] = {}
    for kind in KINDS.values():
        table[kind.name] = {
            fold_header(text): (column, index)
            for column in kind.source_columns
            for index, text in enumerate(column.headers)
        }
    return table


def header_text(cell: object) -> str:
    return " ".join(str(cell).split()) if cell is not None else ""


def _folded(cells: Sequence[object]) -> list[str]:
    """Each cell in the form headers are compared in."""
    return [fold_header(header_text(cell)) for cell in cells]


def _locate(folded: Sequence[str], kind: Kind) -> tuple[dict[str, int], dict[str, int]]:
    """Positions and spellings of the columns of ``kind`` found in a row's cells, given
    :func:`_folded` (once per row, for every kind); the first of a column wins."""
    spellings = _spellings()[kind.name]
    positions: dict[str, int] = {}
    spelling: dict[str, int] = {}
    for index, key in enumerate(folded):
        found = spellings.get(key)
        if found and found[0].name not in positions:
            positions[found[0].name] = index
            spelling[found[0].name] = found[1]
    return positions, spelling


def _duplicates(cells: Sequence[object], kind: Kind) -> list[str]:
    """Header texts (as written) of the columns of ``kind`` that appear more than once."""
    spellings = _spellings()[kind.name]
    seen: dict[str, list[str]] = {}
    for cell in cells:
        found = spellings.get(fold_header(header_text(cell)))
        if found:
            seen.setdefault(found[0].name, []).append(header_text(cell))
    return [text for texts in seen.values() if len(texts) > 1 for text in texts]


def _missing(kind: Kind, positions: dict[str, int]) -> tuple[str, ...]:
    return tuple(c.headers[0] for c in kind.required_columns if c.name not in positions)


def match_row(cells: Sequence[object], line: int) -> HeaderMatch | None:
    """The kind whose required columns are all in ``cells`` (most columns recognised wins)."""
    candidates: list[HeaderMatch] = []
    folded = _folded(cells)
    for kind in KINDS.values():
        positions, spelling = _locate(folded, kind)
        if not _missing(kind, positions):
            text = {name: header_text(cells[i]) for name, i in positions.items()}
            candidates.append(HeaderMatch(kind, line, len(cells), positions, text, spelling))
    if not candidates:
        return None
    candidates.sort(key=lambda m: len(m.positions), reverse=True)
    if len(candidates) > 1 and len(candidates[0].positions) == len(candidates[1].positions):
        names = ", ".join(m.kind.name for m in candidates)
        raise FileRejected(
            f"Dòng tiêu đề khớp với nhiều loại tệp cùng lúc ({names}). Hãy tách thành các tệp "
            f"hoặc trang tính riêng.",
            f"The header row matches several kinds at once ({names}). Split it into separate "
            f"files or sheets.", line=line)
    return candidates[0]


def is_known_header(cells: Sequence[object]) -> bool:
    """True when ``cells`` is the header row of some kind (used to sniff CSV delimiters)."""
    folded = _folded(cells)
    return any(not _missing(kind, _locate(folded, kind)[0]) for kind in KINDS.values())


def _scan_rows(sheet: RawSheet) -> list[Row]:
    """The first ``HEADER_SCAN_ROWS`` non-blank rows (the rest of the sheet is not looked at)."""
    return list(islice((row for row in sheet.rows if not is_blank_row(row[1])),
                       HEADER_SCAN_ROWS))


def find_header(sheet: RawSheet) -> HeaderMatch | None:
    """The first of the leading rows of ``sheet`` that is a known header, if any."""
    for line, cells in _scan_rows(sheet):
        match = match_row(cells, line)
        if match is not None:
            duplicated = _duplicates(cells, match.kind)
            if duplicated:
                raise _duplicate_error(match, duplicated, sheet.name)
            return match
    return None


def _duplicate_error(match: HeaderMatch, texts: list[str], sheet: str | None) -> FileRejected:
    headers = ", ".join(f"«{text}»" for text in texts)
    return FileRejected(
        f"Dòng tiêu đề có cột lặp lại: {headers}. Mỗi cột chỉ được có một lần; hãy xoá hoặc đổi "
        f"tên cột thừa.",
        f"The header row repeats a column: {headers}. Each column may appear only once; delete "
        f"or rename the extra one.", kind_guess=match.kind.name, line=match.line, sheet=sheet)


def closest_kind(sheets: Iterable[RawSheet]) -> NearMiss:
    """The kind that the leading rows of ``sheets`` come nearest to (fewest missing columns)."""
    best: NearMiss | None = None
    rows = [(sheet.name, row) for sheet in sheets for row in _scan_rows(sheet)] or \
        [(None, (0, ()))]
    for sheet_name, (line, cells) in rows:
        folded = _folded(cells)
        for kind in KINDS.values():
            positions, _ = _locate(folded, kind)
            miss = NearMiss(kind, _missing(kind, positions), len(positions),
                            line or None, sheet_name)
            if best is None or (len(miss.missing), -miss.present) < \
                    (len(best.missing), -best.present):
                best = miss
    assert best is not None
    return best


LEGACY_INSIGHTS_MARKERS = ("lifetime post total reach", "lifetime post total impressions")


def is_legacy_insights_header(cells: Sequence[object]) -> bool:
    """The first header row of the retired Page Insights export (Post ID, Posted, Lifetime …)."""
    folded = {fold_header(header_text(cell)) for cell in cells}
    return "post id" in folded and "posted" in folded and \
        any(marker in folded for marker in LEGACY_INSIGHTS_MARKERS)


def legacy_insights_error(sheets: Sequence[RawSheet]) -> FileRejected | None:
    """A clear refusal for the legacy Page Insights post export (two header rows).

    That export (metric names on one row, their descriptions on the next) has no Page ID, no
    Page name and no Reactions/Comments/Shares columns (only "Lifetime Talking About This"
    stories, which count differently), so its figures cannot stand beside Meta Business Suite's.
    """
    for sheet in sheets:
        for line, cells in _scan_rows(sheet):
            if is_legacy_insights_header(cells):
                return FileRejected(
                    "Đây là tệp xuất từ Page Insights kiểu cũ (hai dòng tiêu đề: tên chỉ số rồi "
                    "mô tả). Tệp này không có ID Trang, Tên Trang, Cảm xúc, Bình luận, Lượt chia "
                    "sẻ nên không dùng được. Hãy xuất lại từ Meta Business Suite: Thông tin chi "
                    "tiết (Insights) → Nội dung → Xuất dữ liệu, định dạng CSV.",
                    "This is a legacy Page Insights export (two header rows: metric names, then "
                    "descriptions). It has no Page ID, Page name, Reactions, Comments or Shares, "
                    "so it cannot be used. Export again from Meta Business Suite: Insights → "
                    "Content → Export data, as CSV.",
                    kind_guess="meta_posts", line=line, sheet=sheet.name)
    return None


def no_kind_error(sheets: Sequence[RawSheet]) -> FileRejected:
    """The rejection of a file none of whose sheets has a known header row."""
    legacy = legacy_insights_error(sheets)
    if legacy is not None:
        return legacy
    near = closest_kind(sheets)
    missing = ", ".join(f"«{name}»" for name in near.missing)
    known = ", ".join(KINDS)
    return FileRejected(
        f"Không nhận ra loại tệp từ dòng tiêu đề (tìm trong {HEADER_SCAN_ROWS} dòng đầu). Gần "
        f"nhất là «{near.kind.label_vi}» ({near.kind.name}), còn thiếu cột: {missing}. Hãy "
        f"kiểm tra tên các cột trên dòng tiêu đề.",
        f"The header row matches no known kind (searched the first {HEADER_SCAN_ROWS} rows). "
        f"The closest is {near.kind.name} ({near.kind.label_vi}), missing columns: {missing}. "
        f"Check the column names in the header row. Known kinds: {known}.",
        kind_guess=near.kind.name, line=near.line, sheet=near.sheet)
