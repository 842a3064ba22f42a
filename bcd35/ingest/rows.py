"""Parse the data rows of a recognised sheet into records of the raw schema (``kinds.py``).

Every cell is checked; every bad cell becomes a :class:`CellError` naming line, column (as
written in the file), value and reason. Derived columns (``*_norm``, codes, ``ma_dvhc`` by the
row's date, ``lien_ket_norm``, the Meta export period) are filled here. Blank rows are skipped.

Row-level faults: a CSV line with more cells than the header (an unquoted delimiter in a value),
a CSV line too short to reach a required column (a ragged row), and text garbled by a wrong
encoding (``Há»™i``, see :func:`bcd35.vietnamese.find_mojibake`). Duplicates inside a file are
found afterwards, over all sheets of a kind (:mod:`bcd35.ingest.duplicates`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, NamedTuple

from bcd35 import reference
from bcd35.ingest.detect import HeaderMatch
from bcd35.ingest.errors import CellError, cell_text
from bcd35.ingest.kinds import Column, Kind
from bcd35.ingest.reading import RawSheet, is_blank_row
from bcd35.vietnamese import (
    DEFAULT_TZ,
    VnParseError,
    find_mojibake_in_cell,
    is_blank,
    normalize_key,
    parse_dmy_datetime,
    parse_us_datetime,
    parse_vn_date,
    parse_vn_int,
    parse_vn_month,
)

CellParser = Callable[[object], object]
Record = dict[str, object]

MIN_YEAR = 2000
YEAR_COLUMNS = frozenset({"nam", "nam_thanh_tich"})
MONTH_COLUMNS = frozenset({"thang_phat_hanh"})
META_ID_COLUMNS = frozenset({"post_id", "page_id"})
META_ID = re.compile(r"\d{15,19}")
E_NOTATION = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
MAX_EXACT_INT = 2**53  # larger integers in an Excel number cell have lost digits


@dataclass(frozen=True)
class ParseContext:
    """What row parsing needs to know besides the rows: the plausible years and the file."""

    max_year: int  # dates after this year are typos (the current year + 1)
    file_name: str = ""  # original file name (Meta export period); never used as a path
    local_tz: str = DEFAULT_TZ
    min_year: int = MIN_YEAR


@dataclass
class ParsedSheet:
    """The data rows of one sheet: every non-blank row below the header is a record.

    ``len(records)`` is the number of data rows; ``error_lines`` the rows with at least one
    error, so accepted rows = ``len(records) - len(error_lines)``.
    """

    kind: Kind
    sheet: str | None
    headers: dict[str, str] = field(default_factory=dict)  # column name -> header as written
    row_numbers: list[int] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    error_lines: set[int] = field(default_factory=set)
    table: Any = None  # pyarrow.Table of the records, when parsed column by column

    def add_error(self, error: CellError) -> None:
        self.errors.append(error)
        if error.line is not None:
            self.error_lines.add(error.line)

    @property
    def rejected_rows(self) -> int:
        return len(self.error_lines)

    @property
    def accepted_rows(self) -> int:
        return len(self.records) - len(self.error_lines)


# --------------------------------------------------------------------------------------------
# Cell parsers
# --------------------------------------------------------------------------------------------


def parse_text(value: object) -> str:
    """A text cell as delivered (NFC, outer spaces trimmed); numbers and dates as written."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() else value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value)).strip()


def parse_count(value: object) -> int:
    number = parse_vn_int(value)
    if number < 0:
        raise VnParseError(f"Số âm ({number}): số đếm không được âm. Hãy ghi số từ 0 trở lên.",
                           f"Negative number ({number}): a count cannot be negative. Write a "
                           f"number of 0 or more.")
    return number


def check_year(year: int, ctx: ParseContext, text: str) -> None:
    if not ctx.min_year <= year <= ctx.max_year:
        raise VnParseError(
            f"'{text}': năm {year} nằm ngoài khoảng hợp lý {ctx.min_year}–{ctx.max_year}, có thể "
            f"gõ nhầm. Hãy sửa lại cho đúng.",
            f"'{text}': the year {year} is outside the plausible range "
            f"{ctx.min_year}–{ctx.max_year}, probably a typo. Correct it.")


def parse_year(value: object, ctx: ParseContext) -> int:
    year = parse_vn_int(value)
    check_year(year, ctx, cell_text(value))
    return year


def _dated(parse: Callable[[object], date], ctx: ParseContext) -> CellParser:
    def parse_and_check(value: object) -> date:
        parsed = parse(value)
        check_year(parsed.year, ctx, cell_text(value))
        return parsed

    return parse_and_check


def _ids_lost(text: str) -> VnParseError:
    return VnParseError(
        f"ID '{text}' đã bị Excel đổi thành dạng số mũ hoặc làm tròn: tệp đã được mở và lưu lại "
        f"bằng Excel nên các ID đã mất chữ số và không khôi phục được. Hãy xuất lại tệp từ Meta "
        f"Business Suite và đặt thẳng vào inbox, không mở bằng Excel.",
        f"ID '{text}' was turned into E-notation or rounded by Excel: the file was opened and "
        f"saved in Excel, so its IDs have lost digits and cannot be recovered. Re-export the file "
        f"from Meta Business Suite and drop it into the inbox without opening it in Excel.")


def parse_meta_id(value: object) -> str:
    """A Meta Post/Page ID: a string of 15–19 digits, never a rounded number."""
    if isinstance(value, float) or (isinstance(value, int) and abs(value) >= MAX_EXACT_INT):
        raise _ids_lost(cell_text(value))
    text = parse_text(value)
    if E_NOTATION.fullmatch(text):
        raise _ids_lost(text)
    if not META_ID.fullmatch(text):
        raise VnParseError(f"ID '{text}' không hợp lệ: ID của Meta gồm 15 đến 19 chữ số. Hãy "
                           f"xuất lại tệp từ Meta Business Suite, không sửa cột ID.",
                           f"ID '{text}' is invalid: a Meta ID has 15 to 19 digits. Export the "
                           f"file again from Meta Business Suite; do not edit the ID columns.")
    return text


def _cell_parser(column: Column, match: HeaderMatch, ctx: ParseContext) -> CellParser:
    if column.name in META_ID_COLUMNS:
        return parse_meta_id
    if column.name == "publish_time":
        english = match.spelling.get(column.name, 0) == 0
        parse = parse_us_datetime if english else parse_dmy_datetime
        return _dated(partial(parse, local_tz=ctx.local_tz), ctx)
    if column.name in MONTH_COLUMNS:
        return _dated(parse_vn_month, ctx)
    if column.name in YEAR_COLUMNS:
        return partial(parse_year, ctx=ctx)
    parsers: dict[str, CellParser] = {
        "string": parse_text, "int64": parse_count, "date": _dated(parse_vn_date, ctx)}
    return parsers[column.type]


def _value_optional(kind: Kind, column: Column) -> bool:
    """Blank allowed: optional columns, and Meta metrics (blank = unknown, not 0)."""
    return not column.required or (kind.name == "meta_posts" and column.type == "int64")


# --------------------------------------------------------------------------------------------
# Derived columns
# --------------------------------------------------------------------------------------------

Derive = Callable[[str], str]
DatedDerive = Callable[[str, object], str]


class Derivation(NamedTuple):
    """A derived column: ``target`` computed from the text of ``source`` (and, for ``dated``
    derivations, the value of the ``dated_by`` column of the same row: its date or year)."""

    target: str
    source: str
    derive: Derive | DatedDerive
    dated_by: str | None = None

    def __call__(self, text: str, when: object = None) -> str:
        if self.dated_by is None:
            return self.derive(text)  # type: ignore[call-arg]
        return self.derive(text, when)  # type: ignore[call-arg]


def _lookup(get: Callable[[], reference.Lookup]) -> Derive:
    def code(text: str) -> str:
        lookup = get()
        found = lookup.code(text)
        if found is None:
            raise reference.unknown_value(text, lookup.domain_vi, lookup.labels)
        return found

    return code


def commune_on(text: str, when: object) -> str:
    """``Xã/Thị trấn`` → GSO code in the list in force on the row's date (a meeting's Ngày) or
    in its year (a distribution's Năm): docs/formats.md#communes. A row whose date could not
    be read is already refused; its commune is checked against both lists."""
    if isinstance(when, datetime):
        when = when.date()
    if isinstance(when, date):
        return reference.resolve_commune(text, day=when)
    if isinstance(when, int):
        return reference.resolve_commune(text, year=when)
    return reference.resolve_commune(text)


def link_norm(text: str) -> str:
    """A share link in its matching form: trimmed, trailing ``/`` dropped."""
    return text.strip().rstrip("/")


DERIVATIONS: dict[str, tuple[Derivation, ...]] = {
    "meeting_log": (
        Derivation("ten_hoi_nghi_norm", "ten_hoi_nghi", normalize_key),
        Derivation("loai_hoi_nghi", "loai_hoi_nghi_goc", _lookup(reference.meeting_kinds)),
        Derivation("don_vi_to_chuc_norm", "don_vi_to_chuc", normalize_key),
        Derivation("ma_dvhc", "xa_thi_tran", commune_on, dated_by="ngay"),
    ),
    "commendation": (
        Derivation("hinh_thuc", "hinh_thuc_goc", _lookup(reference.commendation_forms)),
        Derivation("doi_tuong", "doi_tuong_goc", _lookup(reference.commendation_targets)),
        Derivation("ten_norm", "ten", normalize_key),
    ),
    "bulletin_issue": (
        Derivation("ten_an_pham_norm", "ten_an_pham", normalize_key),
    ),
    "bulletin_distribution": (
        Derivation("ten_an_pham_norm", "ten_an_pham", normalize_key),
        Derivation("don_vi_nhan_norm", "don_vi_nhan", normalize_key),
        Derivation("ma_dvhc", "xa_thi_tran", commune_on, dated_by="nam"),
    ),
    "meta_posts": (),
    "collaborator_shares": (
        Derivation("cong_tac_vien_norm", "cong_tac_vien", normalize_key),
        Derivation("don_vi_norm", "don_vi", normalize_key),
        Derivation("nen_tang", "nen_tang_goc", _lookup(reference.platforms)),
        Derivation("lien_ket_norm", "lien_ket", link_norm),
    ),
}

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_META_NAME = re.compile(
    r"([A-Za-z]{3})-(\d{1,2})-(\d{4})_([A-Za-z]{3})-(\d{1,2})-(\d{4})_\d+(?:\s*\(\d+\))?\.csv",
    re.IGNORECASE)


def meta_period(file_name: str) -> tuple[date | None, date | None]:
    """The export period of a standard Meta file name ``Mon-DD-YYYY_Mon-DD-YYYY_<id>.csv``."""
    m = _META_NAME.fullmatch(file_name.strip())
    if not m or m[1].lower() not in _MONTHS or m[4].lower() not in _MONTHS:
        return None, None
    try:
        start = date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
        end = date(int(m[6]), _MONTHS[m[4].lower()], int(m[5]))
    except ValueError:
        return None, None
    return (start, end) if start <= end else (None, None)


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


def _extra_cells_error(cells: tuple[object, ...], match: HeaderMatch, line: int,
                       sheet: RawSheet) -> CellError | None:
    """A CSV row with values beyond the header: usually an unquoted separator in a value."""
    extra = cells[match.width:]
    if not sheet.is_csv or is_blank_row(extra):
        return None
    return CellError(
        f"Dòng có {len(cells)} ô, nhiều hơn {match.width} cột của dòng tiêu đề: có thể một giá "
        f"trị chứa dấu phân cách (ví dụ 9,960 trong tệp phân cách bằng dấu phẩy). Hãy đặt giá "
        f"trị đó trong dấu ngoặc kép hoặc bỏ dấu phân cách thừa.",
        f"The line has {len(cells)} cells, more than the {match.width} columns of the header: a "
        f"value probably contains the delimiter (e.g. 9,960 in a comma-delimited file). Quote "
        f"that value or remove the extra delimiter.",
        line=line, value=", ".join(cell_text(c) for c in extra if not is_blank(c)),
        sheet=sheet.name)


def _short_row_error(cells: tuple[object, ...], match: HeaderMatch, line: int,
                     sheet: RawSheet) -> CellError | None:
    """A CSV line that ends before a required column: a ragged row, not a row of blanks."""
    if not sheet.is_csv:
        return None
    cut = [match.header_text[c.name] for c in match.kind.required_columns
           if match.positions[c.name] >= len(cells)]
    if not cut:
        return None
    names = ", ".join(f"«{name}»" for name in cut)
    return CellError(
        f"Dòng chỉ có {len(cells)} ô, ít hơn {match.width} cột của dòng tiêu đề: thiếu {names}. "
        f"Có thể dòng bị ngắt giữa chừng hoặc thiếu dấu phân cách. Hãy bổ sung các ô còn thiếu.",
        f"The line has only {len(cells)} cells, fewer than the {match.width} columns of the "
        f"header: {names} missing. The line may be cut short or miss delimiters. Add the "
        f"missing cells.",
        line=line, value=", ".join(cell_text(c) for c in cells), sheet=sheet.name)


@dataclass(frozen=True)
class _Failed:
    reason_vi: str
    reason_en: str


class _Memo:
    """Parsed values (or the error) of the text cells of one sheet, by column and text.

    Cell parsing is a pure function of the column's parser (fixed for a sheet) and the text,
    and office files repeat their texts (communes, kinds, dates, small counts): each distinct
    text of a column is parsed once per sheet.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], object] = {}

    def parse(self, kind: Kind, column: Column, value: object, parse: CellParser) -> object:
        if not isinstance(value, str):
            return _parse_value(kind, column, value, parse)
        key = (column.name, value)
        try:
            found = self._seen[key]
        except KeyError:
            try:
                found = _parse_value(kind, column, value, parse)
            except VnParseError as exc:
                found = _Failed(exc.reason_vi, exc.reason_en)
            self._seen[key] = found
        if isinstance(found, _Failed):
            raise VnParseError(found.reason_vi, found.reason_en)
        return found


@dataclass(frozen=True)
class _Plan:
    """What reading a row of a sheet needs, worked out once per sheet."""

    columns: tuple[tuple[Column, int | None, str, CellParser], ...]  # position, header, parser

    @classmethod
    def of(cls, match: HeaderMatch, parsers: dict[str, CellParser]) -> _Plan:
        return cls(tuple((column, match.positions.get(column.name),
                          match.header_text.get(column.name, column.headers[0]),
                          parsers[column.name]) for column in match.kind.source_columns))


def _parse_cells(cells: tuple[object, ...], line: int, match: HeaderMatch, plan: _Plan,
                 sheet: RawSheet, memo: _Memo) -> tuple[Record, list[CellError]]:
    record: Record = {}
    width = len(cells)
    short = _short_row_error(cells, match, line, sheet) if width < match.width else None
    errors: list[CellError] = [short] if short is not None else []
    kind = match.kind
    for column, position, header, parse in plan.columns:
        value = cells[position] if position is not None and position < width else None
        try:
            record[column.name] = memo.parse(kind, column, value, parse)
        except VnParseError as exc:
            record[column.name] = None
            if short is not None and position is not None and position >= len(cells):
                continue  # already named by the short-row error
            errors.append(CellError(exc.reason_vi, exc.reason_en, line=line, column=header,
                                    value=cell_text(value), sheet=sheet.name))
    return record, errors


def _garbled(text: str) -> VnParseError | None:
    found = find_mojibake_in_cell(text)
    if found is None:
        return None
    garbled, meant = found
    return VnParseError(
        f"Chữ bị lỗi phông/bảng mã: «{garbled}» lẽ ra là «{meant}» (tệp UTF-8 đã bị mở và lưu "
        f"lại bằng bảng mã khác). Hãy lấy lại tệp gốc hoặc gõ lại chữ tiếng Việt, rồi lưu dạng "
        f"'CSV UTF-8'.",
        f"Garbled text: '{garbled}' should read '{meant}' (a UTF-8 file was opened and saved "
        f"again in another encoding). Get the original file back or retype the Vietnamese text, "
        f"then save as 'CSV UTF-8'.")


def _parse_value(kind: Kind, column: Column, value: object, parse: CellParser) -> object:
    if is_blank(value):
        if _value_optional(kind, column):
            return None
        raise VnParseError(f"Ô trống: cột «{column.headers[0]}» bắt buộc phải có giá trị. Hãy "
                           f"điền giá trị vào ô này.",
                           f"Empty cell: the column '{column.headers[0]}' requires a value. Fill "
                           f"in this cell.")
    if isinstance(value, str) and not value.isascii() and (garbled := _garbled(value)):
        raise garbled
    return parse(value)


def _derive(record: Record, line: int, match: HeaderMatch, sheet: RawSheet) -> list[CellError]:
    errors: list[CellError] = []
    for derivation in DERIVATIONS[match.kind.name]:
        text = record.get(derivation.source)
        record[derivation.target] = None
        if not isinstance(text, str):
            continue
        when = record.get(derivation.dated_by) if derivation.dated_by else None
        try:
            record[derivation.target] = derivation(text, when)
        except VnParseError as exc:
            header = match.header_text.get(derivation.source, derivation.source)
            errors.append(CellError(exc.reason_vi, exc.reason_en, line=line, column=header,
                                    value=text, sheet=sheet.name))
    return errors


def parse_sheet(sheet: RawSheet, match: HeaderMatch, ctx: ParseContext) -> ParsedSheet:
    """All data rows below the header of ``sheet``, with every error found (not just the first)."""
    kind = match.kind
    parsers = {c.name: _cell_parser(c, match, ctx) for c in kind.source_columns}
    extra: Record = {}
    if kind.name == "meta_posts":
        extra["_period_start"], extra["_period_end"] = meta_period(ctx.file_name)
    result = ParsedSheet(kind=kind, sheet=sheet.name, headers=dict(match.header_text))
    memo, plan = _Memo(), _Plan.of(match, parsers)
    for line, cells in sheet.rows:
        if line <= match.line or is_blank_row(cells):
            continue
        record, errors = _parse_cells(cells, line, match, plan, sheet, memo)
        errors += _derive(record, line, match, sheet)
        extra_error = _extra_cells_error(cells, match, line, sheet)
        if extra_error is not None:
            errors.append(extra_error)
        record.update(extra)
        result.row_numbers.append(line)
        result.records.append(record)
        for error in errors:
            result.add_error(error)
    return result
