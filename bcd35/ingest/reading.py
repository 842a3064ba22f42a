"""Read a file's bytes into sheets of numbered rows: CSV (UTF-8/UTF-16) or XLSX.

The format is recognised by content (XLSX is a zip), never by the file name. Cells keep their
type: CSV cells are text; XLSX cells are what Excel holds (``int``, ``float``, ``datetime``,
``str``, ``None``). Row numbers are what the clerk sees: the physical line of a CSV file (the
header line is its own line number; a quoted value spanning lines takes the line it starts on),
the row number of an XLSX sheet.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bcd35.ingest.errors import FileRejected

Cells = tuple[object, ...]
Row = tuple[int, Cells]  # (line or row number, cells)
HeaderTest = Callable[[Sequence[object]], bool]

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITERS = (",", ";")
HEADER_SCAN_ROWS = 20


@dataclass(frozen=True)
class RawSheet:
    """All rows of one CSV file or one XLSX sheet, blank rows included, numbered."""

    name: str | None  # XLSX sheet name; None for CSV
    rows: tuple[Row, ...]
    is_csv: bool


def is_blank_row(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_sheets(data: bytes, is_header: HeaderTest) -> list[RawSheet]:
    """Every sheet of the file. ``is_header`` picks the CSV delimiter (see :func:`read_csv`)."""
    if not data.strip():
        raise FileRejected("Tệp rỗng, không có dữ liệu.", "The file is empty.")
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data)
    if data.startswith(OLE2_MAGIC):
        raise FileRejected(
            "Tệp Excel dạng cũ (.xls, Excel 97-2003) hoặc có mật khẩu: không đọc được. Hãy mở "
            "tệp và lưu lại dạng 'Sổ làm việc Excel (.xlsx)' không đặt mật khẩu.",
            "Old-style Excel file (.xls, Excel 97-2003) or a password-protected workbook: it "
            "cannot be read. Open it and save it as 'Excel Workbook (.xlsx)' without a password.")
    return [read_csv(decode_text(data), is_header)]


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

_RESAVE_VI = ("Hãy mở tệp và lưu lại dạng 'CSV UTF-8 (Comma delimited)', hoặc xuất lại tệp từ "
              "phần mềm gốc.")
_RESAVE_EN = "Save it again as 'CSV UTF-8 (Comma delimited)', or export it again from its source."


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is rejected, never guessed."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _encoding_error(data, exc, "UTF-16") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc, "UTF-8") from None
    if "\x00" in text:
        raise FileRejected(
            f"Tệp có ký tự NUL: không phải tệp văn bản UTF-8 (có thể là UTF-16 không có BOM "
            f"hoặc tệp nhị phân). {_RESAVE_VI}",
            f"The file contains NUL characters: it is not UTF-8 text (perhaps UTF-16 without a "
            f"BOM, or a binary file). {_RESAVE_EN}")
    return text


def _encoding_error(data: bytes, exc: UnicodeDecodeError, encoding: str) -> FileRejected:
    line = data[: exc.start].count(b"\n") + 1
    bad = data[exc.start : exc.start + 4].hex(" ")
    return FileRejected(
        f"Tệp không đúng bảng mã {encoding} (byte lạ {bad} ở dòng {line}); có thể tệp được lưu "
        f"bằng bảng mã cũ (TCVN3, VNI, Windows-1258) hoặc không phải tệp CSV. {_RESAVE_VI}",
        f"The file is not valid {encoding} (unexpected bytes {bad} on line {line}); it may have "
        f"been saved in a legacy encoding (TCVN3, VNI, Windows-1258), or it is not a CSV file. "
        f"{_RESAVE_EN}",
        line=line)


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, tuple(cells)
        start = reader.line_num + 1


def sniff_delimiter(text: str, is_header: HeaderTest) -> str:
    """The delimiter under which one of the first lines reads as a known header.

    When no line does, the delimiter that splits the first non-blank line into more cells (the
    file will then be quarantined by kind detection, which names the closest kind).
    """
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SCAN_ROWS]
    for line in lines:
        for delimiter in DELIMITERS:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if is_header(cells):
                return delimiter
    first = lines[0] if lines else ""
    return max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))


def read_csv(text: str, is_header: HeaderTest) -> RawSheet:
    delimiter = sniff_delimiter(text, is_header)
    try:
        rows = tuple(_csv_rows(text, delimiter))
    except csv.Error as exc:
        raise FileRejected(f"Tệp CSV hỏng, không đọc được: {exc}. {_RESAVE_VI}",
                           f"The CSV file is malformed: {exc}. {_RESAVE_EN}") from None
    return RawSheet(name=None, rows=rows, is_csv=True)


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def read_xlsx(data: bytes) -> list[RawSheet]:
    """Every worksheet, cells typed as Excel holds them (cached values of formulas)."""
    from openpyxl import load_workbook  # imported here: keeps ``import bcd35.ingest`` light

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
        raise FileRejected(
            f"Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải sổ làm việc Excel "
            f"({type(exc).__name__}). Hãy mở tệp bằng Excel và lưu lại dạng .xlsx.",
            f"The Excel file (.xlsx) cannot be read: it is damaged or not an Excel workbook "
            f"({type(exc).__name__}). Open it in Excel and save it again as .xlsx.") from None
    try:
        return [_xlsx_sheet(ws) for ws in workbook.worksheets]
    except Exception as exc:
        raise FileRejected(
            f"Tệp Excel (.xlsx) bị hỏng, không đọc hết được ({type(exc).__name__}). Hãy mở tệp "
            f"bằng Excel và lưu lại dạng .xlsx.",
            f"The Excel file (.xlsx) is damaged and cannot be read through "
            f"({type(exc).__name__}). Open it in Excel and save it again as .xlsx.") from None
    finally:
        workbook.close()


def _xlsx_sheet(worksheet: Any) -> RawSheet:
    # Files written by other tools often carry a wrong <dimension>: read every cell instead.
    worksheet.reset_dimensions()
    cells = worksheet.iter_rows(values_only=True)
    rows = tuple((number, tuple(row)) for number, row in enumerate(cells, start=1))
    return RawSheet(name=str(worksheet.title), rows=rows, is_csv=False)
