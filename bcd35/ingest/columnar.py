"""Parse a clean sheet column by column with Arrow compute; leave anything unusual to the rows.

The row parser (:mod:`bcd35.ingest.rows`) calls a Python function per cell, which is most of
the ingestion's time on a large inbox. Here each column of a sheet becomes one Arrow array and
the common spellings are checked and converted for the whole column at once: plain and grouped
whole numbers (``830``, ``9.960``), ``dd/mm/yyyy`` dates, ``mm/yyyy`` months, Meta's
``MM/DD/YYYY HH:MM`` times, 15–19 digit IDs, ASCII texts without outer spaces. Every other
value is parsed by the row parser's own cell parser, once per distinct value of the column;
derived columns (codes, ``*_norm``) are computed once per distinct value too.

This path only ever *accepts*: the moment it meets anything the row parser would report (a bad
value, a blank required cell, a ragged or over-long line, a repeated natural key, a sheet
without data rows) it gives up with :class:`NeedsRows`, and the file is analysed again row by
row, which writes the quarantine report, so every message stays the row parser's. The values it
produces are those of the row parser; tests compare both on every fixture, on the demo and
benchmark inboxes and on generated files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING

from bcd35.ingest.detect import HeaderMatch
from bcd35.ingest.kinds import Column, Kind
from bcd35.ingest.raw import arrow_type
from bcd35.ingest.reading import (
    HEADER_SCAN_ROWS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    HeaderTest,
    RawSheet,
    formulas_without_values,
    is_blank_row,
)
from bcd35.ingest.rows import (
    DERIVATIONS,
    MAX_EXACT_INT,
    META_ID_COLUMNS,
    MONTH_COLUMNS,
    YEAR_COLUMNS,
    ParseContext,
    ParsedSheet,
    _cell_parser,
    _Memo,
    _parse_value,
    _value_optional,
    meta_period,
)
from bcd35.ingest.xlsx_guard import check_xlsx
from bcd35.vietnamese import VnParseError

if TYPE_CHECKING:
    import pyarrow as pa


class NeedsRows(Exception):
    """The sheet has something the row parser must look at (and perhaps report)."""


# Python's str.strip() removes these ASCII characters; a value with one at either end is left
# to the row parser (which strips it), so a fast text is the value itself.
_EDGE_SPACE = r"^[\t-\r\x1c-\x20]|[\t-\r\x1c-\x20]$"
_PLAIN_INT = r"^[0-9]{1,18}$"
_GROUPED_INT = r"^[0-9]{1,3}(\.[0-9]{3}){1,5}$"
_DMY = r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$"
_MY = r"^[0-9]{2}/[0-9]{4}$"
_DT = r"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{2}:[0-9]{2}$"
_META_ID = r"^[0-9]{15,19}$"


class TableRecords(Sequence[dict[str, object]]):
    """The rows of a table as the row parser's records, converted only if someone reads them
    (the raw layer is written from the table itself)."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table
        self._rows: list[dict[str, object]] | None = None

    def _all(self) -> list[dict[str, object]]:
        if self._rows is None:
            self._rows = self._table.to_pylist()
        return self._rows

    def __len__(self) -> int:
        return self._table.num_rows

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._all()[index]

    def __iter__(self) -> Iterator[dict[str, object]]:
        return iter(self._all())


def _target_type(column: Column) -> pa.DataType:
    return _arrow_type(column.type)


@cache
def _arrow_type(name: str) -> pa.DataType:
    return arrow_type(name)


def _fast_values(column: Column, match: HeaderMatch, ctx: ParseContext,
                 text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """``(mask, values)``: which texts have a common spelling, and their values there."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def matches(pattern: str) -> pa.Array:
        return pc.fill_null(pc.match_substring_regex(text, pattern), False)

    def round_trip(fmt: str, shown: pa.Array, unit: str = "s") -> tuple[pa.Array, pa.Array]:
        # strptime alone would accept 31/02 as 03/03 on some platforms: a value is only taken
        # when it prints back as it was written
        parsed = pc.strptime(shown, format=fmt, unit=unit, error_is_null=True)
        same = pc.fill_null(pc.equal(pc.strftime(parsed, format=fmt), shown), False)
        return same, parsed

    if column.name in META_ID_COLUMNS:
        return matches(_META_ID), text
    if column.name == "publish_time":
        fmt = "%m/%d/%Y %H:%M" if match.spelling.get(column.name, 0) == 0 else "%d/%m/%Y %H:%M"
        mask = matches(_DT)
        same, parsed = round_trip(fmt, pc.if_else(mask, text, None), unit="us")
        return pc.and_(mask, same), parsed
    if column.name in MONTH_COLUMNS:
        mask = matches(_MY)
        shown = pc.binary_join_element_wise("01/", pc.if_else(mask, text, None), "")
        same, parsed = round_trip("%d/%m/%Y", shown)
        return pc.and_(mask, same), pc.cast(parsed, pa.date32())
    if column.type == "int64":
        plain, grouped = matches(_PLAIN_INT), matches(_GROUPED_INT)
        digits = pc.replace_substring(pc.if_else(pc.or_(plain, grouped), text, None), ".", "")
        return pc.or_(plain, grouped), pc.cast(digits, pa.int64())
    if column.type == "date":
        mask = matches(_DMY)
        same, parsed = round_trip("%d/%m/%Y", pc.if_else(mask, text, None))
        return pc.and_(mask, same), pc.cast(parsed, pa.date32())
    if column.type == "string":
        plain = pc.and_(pc.string_is_ascii(text), pc.greater(pc.utf8_length(text), 0))
        return pc.and_(pc.fill_null(plain, False), pc.invert(matches(_EDGE_SPACE))), text
    raise NeedsRows(column.name)


def _year_of(column: Column, values: pa.Array) -> pa.Array | None:
    import pyarrow.compute as pc

    if column.name in YEAR_COLUMNS:
        return values
    if column.type in ("date", "timestamp"):
        return pc.year(values)
    return None


COLUMN_EXPRESSIONS_FROM = 2_000  # rows; below, Arrow's per-call cost exceeds what it saves


def _column(kind: Kind, column: Column, match: HeaderMatch, ctx: ParseContext,
            values: Sequence[object], memo: _Memo, texts_only: bool = False) -> pa.Array:
    """The parsed column, or :class:`NeedsRows` if one of its values is not clean."""
    if len(values) >= COLUMN_EXPRESSIONS_FROM:
        return _column_expressions(kind, column, match, ctx, values, memo)
    return _column_distinct(kind, column, match, ctx, values, texts_only)


_MISS = object()
_QUICK_DMY = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_QUICK_DT = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4}) ([0-9]{2}):([0-9]{2})")
Quick = Callable[[str], object]


def _quick(column: Column, match: HeaderMatch, ctx: ParseContext) -> Quick | None:
    """The common spelling of a column's texts converted without the row parser's checks
    (which give the same value for it), or ``_MISS`` for any other text."""
    def plain_text(text: str) -> object:
        # ASCII with no space at either end: NFC and strip() leave it as it is
        return text if text.isascii() and text and text[0] > " " and text[-1] > " " else _MISS

    def count(text: str) -> object:
        return int(text) if text.isascii() and text.isdigit() else _MISS

    def meta_id(text: str) -> object:
        return text if text.isascii() and text.isdigit() and 15 <= len(text) <= 19 else _MISS

    def in_years(moment: date) -> bool:
        return ctx.min_year <= moment.year <= ctx.max_year

    def dmy(text: str) -> object:
        m = _QUICK_DMY.fullmatch(text)
        if m is None:
            return _MISS
        try:
            day = date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return _MISS
        return day if in_years(day) else _MISS

    def moment(month_first: bool) -> Quick:
        def convert(text: str) -> object:
            m = _QUICK_DT.fullmatch(text)
            if m is None:
                return _MISS
            first, second = int(m[1]), int(m[2])
            month, day = (first, second) if month_first else (second, first)
            try:
                when = datetime(int(m[3]), month, day, int(m[4]), int(m[5]))
            except ValueError:
                return _MISS
            return when if in_years(when) else _MISS

        return convert

    if column.name in META_ID_COLUMNS:
        return meta_id
    if column.name == "publish_time":
        return moment(match.spelling.get(column.name, 0) == 0)
    if column.name in MONTH_COLUMNS or column.name in YEAR_COLUMNS:
        return None  # few distinct values: the row parser
    quick: dict[str, Quick] = {"string": plain_text, "int64": count, "date": dmy}
    return quick.get(column.type)


def _column_distinct(kind: Kind, column: Column, match: HeaderMatch, ctx: ParseContext,
                     values: Sequence[object], texts_only: bool = False) -> pa.Array:
    """A short column: the common spelling converted directly, any other distinct value
    parsed once by the row parser's cell parser."""
    import pyarrow as pa

    parse = _cell_parser(column, match, ctx)
    quick = _quick(column, match, ctx)
    if texts_only:  # a CSV column: texts (and None past a short line's end), one dict key each
        found_for: dict[object, object] = {}
        try:
            for value in set(values):
                found = quick(value) if quick is not None and value is not None else _MISS
                found_for[value] = found if found is not _MISS else _parse_value(
                    kind, column, value, parse)
        except VnParseError:
            raise NeedsRows(column.name) from None
        return pa.array(list(map(found_for.__getitem__, values)), _target_type(column))
    # keyed by type too: 1, 1.0 and True are one dict key, and an XLSX ID cell that is a float
    # is an error where the same int is not
    keys = [v if type(v) is str else (type(v), v) for v in values]
    parsed: dict[object, object] = {}
    try:
        for key, value in zip(keys, values, strict=True):
            if key in parsed:
                continue
            found = quick(value) if quick is not None and type(value) is str else _MISS
            parsed[key] = found if found is not _MISS else _parse_value(kind, column, value,
                                                                         parse)
    except VnParseError:
        raise NeedsRows(column.name) from None
    return pa.array([parsed[key] for key in keys], _target_type(column))


def _column_expressions(kind: Kind, column: Column, match: HeaderMatch, ctx: ParseContext,
                        values: Sequence[object], memo: _Memo) -> pa.Array:
    """A long column: common spellings converted by Arrow compute, the rest by the row
    parser once per distinct value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    target = _target_type(column)
    n = len(values)
    try:
        cells = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        cells = None  # mixed cell types (an XLSX column): every value by the row parser
    if cells is not None and (pa.types.is_string(cells.type) or pa.types.is_null(cells.type)):
        text = cells.cast(pa.string())
        blank = pc.fill_null(pc.equal(text, ""), True)
        fast, parsed = _fast_values(column, match, ctx, text)
        fast = pc.and_(fast, pc.invert(blank))
    else:
        blank = pa.array([v is None for v in values], pa.bool_())
        fast = pa.array([False] * n, pa.bool_())
        parsed = pa.nulls(n, target)
    if pc.any(blank).as_py() and not _value_optional(kind, column):
        raise NeedsRows(column.name)
    result = pc.if_else(fast, parsed.cast(target), pa.scalar(None, target))
    year = _year_of(column, result)
    if year is not None and pc.any(pc.or_(pc.less(year, ctx.min_year),
                                          pc.greater(year, ctx.max_year))).as_py():
        raise NeedsRows(column.name)  # the row parser names the implausible year
    slow = pc.invert(pc.or_(fast, blank))
    if not pc.any(slow).as_py():
        return result
    parse = _cell_parser(column, match, ctx)
    index = pc.indices_nonzero(slow).to_pylist()
    parsed_slow: list[object] = []
    try:
        for i in index:
            parsed_slow.append(memo.parse(kind, column, values[i], parse))
    except VnParseError:
        raise NeedsRows(column.name) from None
    return pc.replace_with_mask(result, slow, pa.array(parsed_slow, target))


def _derived(kind: Kind, table: dict[str, pa.Array]) -> None:
    """Add the derived columns, computed once per distinct source value."""
    import pyarrow as pa

    for derivation in DERIVATIONS[kind.name]:
        values = table[derivation.source].to_pylist()
        whens = (table[derivation.dated_by].to_pylist() if derivation.dated_by
                 else [None] * len(values))
        derived: dict[tuple[object, object], object] = {}
        out: list[object] = []
        try:
            for text, when in zip(values, whens, strict=True):
                key = (text, when)
                if key not in derived:
                    derived[key] = None if text is None else derivation(text, when)
                out.append(derived[key])
        except VnParseError:
            raise NeedsRows(derivation.target) from None
        table[derivation.target] = pa.array(out, pa.string())


def _columns_of(rows: Sequence[tuple[int, tuple[object, ...]]], match: HeaderMatch,
                sheet: RawSheet) -> list[tuple[object, ...]]:
    """The cells of the data rows by position; a ragged or over-long CSV line needs the rows."""
    need = max(match.positions.values()) + 1
    widths = {len(cells) for _, cells in rows}
    required = {match.positions[c.name] for c in match.kind.required_columns}
    if widths != {match.width}:
        padded = []
        for _, cells in rows:
            if len(cells) > match.width and sheet.is_csv and not is_blank_row(
                    cells[match.width:]):
                raise NeedsRows("extra cells")
            if len(cells) < match.width and sheet.is_csv and any(p >= len(cells)
                                                                  for p in required):
                raise NeedsRows("short line")
            padded.append((cells + (None,) * need)[:need])
        return list(zip(*padded, strict=True))
    return list(zip(*(cells for _, cells in rows), strict=True))


def parse_sheet_columns(sheet: RawSheet, match: HeaderMatch, ctx: ParseContext) -> ParsedSheet:
    """What :func:`bcd35.ingest.rows.parse_sheet` gives for a sheet without a single error."""
    import pyarrow as pa

    kind = match.kind
    if kind.name == "meta_posts" and not sheet.is_csv:
        # Meta exports are CSV; in a workbook an ID may be a rounded number, which only
        # openpyxl's cells show exactly as the file holds it
        raise NeedsRows("Meta IDs in a workbook")
    rows = [(line, cells) for line, cells in sheet.rows if line > match.line]  # none blank
    if not rows:
        raise NeedsRows("no data rows")
    by_position = _columns_of(rows, match, sheet)
    memo = _Memo()
    table: dict[str, pa.Array] = {}
    for column in kind.source_columns:
        position = match.positions.get(column.name)
        values: Sequence[object] = (by_position[position] if position is not None
                                    else (None,) * len(rows))
        table[column.name] = _column(kind, column, match, ctx, values, memo, sheet.is_csv)
    _derived(kind, table)
    n = len(rows)
    if kind.name == "meta_posts":
        start, end = meta_period(ctx.file_name)
        table["_period_start"] = pa.array([start] * n, pa.date32())
        table["_period_end"] = pa.array([end] * n, pa.date32())
    names = [c.name for c in kind.columns] + [name for name, _ in kind.extra]
    arrow = pa.table({name: table[name] for name in names})
    parsed = ParsedSheet(kind=kind, sheet=sheet.name, headers=dict(match.header_text))
    parsed.row_numbers = [line for line, _ in rows]
    parsed.records = TableRecords(arrow)  # type: ignore[assignment]
    parsed.table = arrow
    return parsed


def check_unique_keys(sheets: Sequence[ParsedSheet]) -> None:
    """A natural key seen twice in a file (a repeat or a contradiction) needs the rows: the
    row parser tells the two apart and names both lines."""
    seen: set[tuple[str, tuple[object, ...]]] = set()
    rows = 0
    for sheet in sheets:
        kind = sheet.kind
        columns = [sheet.table.column(name).to_pylist() for name in kind.natural_key]
        seen.update((kind.name, key) for key in zip(*columns, strict=True))
        rows += sheet.table.num_rows
    if len(seen) != rows:
        raise NeedsRows("repeated key")


# --------------------------------------------------------------------------------------------
# XLSX through python-calamine
# --------------------------------------------------------------------------------------------

_CELL_TYPES = (str, int, float, bool, date, datetime, time, timedelta)


def _as_openpyxl(value: object) -> object:
    """A calamine cell as openpyxl gives it: an integral number is an ``int`` (Excel writes
    ``5``, never ``5.0``), a date a midnight ``datetime``, an empty text no value."""
    if type(value) is float and value.is_integer() and abs(value) < MAX_EXACT_INT:
        return int(value)
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    if value == "":
        return None
    if not isinstance(value, _CELL_TYPES):
        raise NeedsRows("unusual cell")  # an error cell (#N/A) or something new
    return value


def read_xlsx_columns(data: bytes, is_header: HeaderTest) -> list[RawSheet]:
    """The sheets :func:`bcd35.ingest.reading.read_xlsx` reads, through python-calamine.

    After the same bomb guard; a workbook that the row reader would refuse or that has
    anything unusual (formulas without saved values, error cells, a sheet too large) needs the
    rows, which read it again with openpyxl and name the problem.
    """
    from python_calamine import CalamineWorkbook

    checked = check_xlsx(data)
    if formulas_without_values(checked, limit=1):
        raise NeedsRows("formulas without values")
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(checked))
        names = [sheet.name for sheet in workbook.sheets_metadata
                 if str(sheet.typ).endswith("WorkSheet")]
        grids = [(name, workbook.get_sheet_by_name(name)) for name in names]
    except Exception as exc:  # a damaged workbook: the row reader explains it
        raise NeedsRows(type(exc).__name__) from None
    sheets, cells_seen = [], 0
    for name, grid in grids:
        rows: list[tuple[int, tuple[object, ...]]] = []
        header_seen = False
        # rows one at a time (from A1, like openpyxl's): a sheet over the caps is left to the
        # row reader after at most MAX_CELLS cells, not converted whole
        for number, raw in enumerate(grid.iter_rows(), start=1):
            cells = [_as_openpyxl(v) for v in raw[:MAX_COLUMNS]]
            while cells and cells[-1] is None:
                cells.pop()
            if not cells or is_blank_row(cells):
                continue
            cells_seen += sum(1 for c in cells if c is not None and c != "")
            if number > MAX_ROWS or cells_seen > MAX_CELLS:
                raise NeedsRows("too large")
            rows.append((number, tuple(cells)))
            if not header_seen:
                header_seen = is_header(rows[-1][1])
                if not header_seen and len(rows) >= HEADER_SCAN_ROWS:
                    break
        sheets.append(RawSheet(name=name, rows=tuple(rows), is_csv=False))
    return sheets
