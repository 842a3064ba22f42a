"""The same natural key twice inside one file: a repeat is harmless, a contradiction an error.

Over every sheet of the same kind in one file (they land in one raw table), rows with equal
natural keys (``kinds.Kind.natural_key``: for a meeting, date + name + organiser + commune; for a
post, its Post ID; for a share, its link trimmed and without a trailing ``/`` …) are compared on
what they say, after normalisation (``Thái Hoà`` = ``Thái Hòa``, ``9.960`` = ``9960``, a link with
or without its trailing ``/``; the row number ``STT`` and the free-text ``Ghi chú`` are not
compared):

- **a repeat** — the same facts again (a block pasted twice, a share logged twice): *not an
  error*. The raw layer keeps both lines as delivered and dbt's natural-key de-duplication
  keeps one (SPEC §2: a row with the same key again is the same thing), so no figure counts it
  twice. The demo inbox plants
  such repeats and its expected KPIs rely on this.
- **a contradiction** — the same key with a different value (45 attendees on one line, 54 on
  another): *an error* on the later line, naming the earlier line and the first column that
  differs, because only the clerk knows which line is right and "the later line wins" would
  change a figure silently.

Rows that already have an error are left out (their values are incomplete). Across files the
latest ingestion wins, in dbt.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bcd35.ingest.errors import CellError, cell_text
from bcd35.ingest.kinds import Kind
from bcd35.ingest.rows import DERIVATIONS, ParsedSheet, Record

_Seen = tuple[ParsedSheet, int, Record]  # sheet, line, record


def _source_of(kind: Kind, name: str) -> str:
    """The column read from the file that a derived key column comes from."""
    for derivation in DERIVATIONS[kind.name]:
        if derivation.target == name:
            return derivation.source
    return name


def _where(sheet: ParsedSheet, line: int, other: ParsedSheet) -> tuple[str, str]:
    if sheet.sheet is not None and sheet.sheet != other.sheet:
        return (f"dòng {line} của trang tính «{sheet.sheet}»",
                f"line {line} of sheet '{sheet.sheet}'")
    return f"dòng {line}", f"line {line}"


def _shown(value: object) -> str:
    """A parsed value as the clerk typed it (dates day first)."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return cell_text(value)


def _key_text(sheet: ParsedSheet, record: Record) -> tuple[str, str]:
    columns = [_source_of(sheet.kind, name) for name in sheet.kind.natural_key]
    headers = " + ".join(sheet.headers.get(name, name) for name in columns)
    values = " | ".join(_shown(record.get(name)) for name in columns)
    return headers, values


NOT_COMPARED = frozenset({"stt", "ghi_chu"})


def compared_columns(kind: Kind) -> list[tuple[str, str]]:
    """(column as read, column compared): the normalised form or code where there is one."""
    derived = {d.source: d.target for d in DERIVATIONS[kind.name]}
    return [(c.name, derived.get(c.name, c.name)) for c in kind.source_columns
            if c.name not in NOT_COMPARED]


def _conflict(sheet: ParsedSheet, line: int, first: _Seen, record: Record,
              differs: str) -> CellError:
    where_vi, where_en = _where(first[0], first[1], sheet)
    headers, values = _key_text(sheet, record)
    column = sheet.headers.get(differs, differs)
    before, now = _shown(first[2].get(differs)), _shown(record.get(differs))
    return CellError(
        f"Dòng này trùng khoá ({headers}) với {where_vi} nhưng khác giá trị ở cột «{column}»: "
        f"«{before}» và «{now}». Không biết dòng nào đúng: hãy giữ lại dòng đúng và xoá dòng "
        f"kia, hoặc sửa để hai dòng không trùng khoá.",
        f"This line has the same key ({headers}) as {where_en} but a different '{column}': "
        f"'{before}' and '{now}'. Which one is right cannot be told: keep the right line and "
        f"delete the other, or correct them so that their keys differ.",
        line=line, column=headers, value=values, sheet=sheet.sheet)


def mark_duplicates(sheets: Sequence[ParsedSheet]) -> int:
    """Add an error to the later row of every contradicting pair; returns how many."""
    found = 0
    seen: dict[tuple[str, tuple[object, ...]], _Seen] = {}
    for sheet in sheets:
        kind = sheet.kind
        columns = compared_columns(kind)
        clean = [(line, record) for line, record in zip(sheet.row_numbers, sheet.records,
                                                        strict=True)
                 if line not in sheet.error_lines]
        for line, record in clean:
            key = tuple(record.get(name) for name in kind.natural_key)
            if any(part is None for part in key):
                continue
            first = seen.setdefault((kind.name, key), (sheet, line, record))
            if first[1] == line and first[0] is sheet:
                continue
            differs = next((shown for shown, compared in columns
                            if record.get(compared) != first[2].get(compared)), None)
            if differs is not None:
                sheet.add_error(_conflict(sheet, line, first, record, differs))
                found += 1
    return found
