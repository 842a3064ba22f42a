"""Read a file's bytes into sheets of numbered rows: CSV (several encodings) or XLSX.

The format is recognised by content (XLSX is a zip), never by the file name. Cells keep their
type: CSV cells are text; XLSX cells are what Excel holds (``int``, ``float``, ``datetime``,
``str``, ``None``). Row numbers are what the clerk sees: the physical line of a CSV file (the
header line is its own line number; a quoted value spanning lines takes the line it starts on),
the row number of an XLSX sheet. Blank rows are dropped; the others keep their numbers.

Text encodings (:func:`decode_text`), in this order:

- a byte-order mark decides: UTF-8, UTF-16 LE/BE (Meta's page-level exports, Excel's "Unicode
  text");
- no BOM but the NUL pattern of UTF-16 (every other byte zero): UTF-16 LE/BE without BOM;
- valid UTF-8;
- otherwise Windows-1258 (the Vietnamese ANSI code page, which spells a toned vowel as letter +
  combining mark) *when every non-ASCII character then reads as Vietnamese*; the text is
  normalised to NFC. Anything else (TCVN3, VNI, other code pages) is refused with a message that
  says to save as "CSV UTF-8": a wrong guess would put mojibake into the marts.

Text that is UTF-8 but already garbled (``Há»™i``: UTF-8 once read as Windows-1252) is refused
too (:func:`refuse_mojibake`; XLSX cells are checked one by one in :mod:`bcd35.ingest.rows`).

Size limits: CSV/XLSX of at most ``MAX_FILE_BYTES`` (checked by the pipeline), at most
``MAX_ROWS`` rows per sheet, ``MAX_COLUMNS`` columns (cells further right are not read) and
``MAX_CELLS`` non-empty cells per file; XLSX archives are checked by
:mod:`bcd35.ingest.xlsx_guard` before they are opened.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bcd35.ingest.errors import FileRejected
from bcd35.ingest.xlsx_guard import check_xlsx
from bcd35.vietnamese import find_mojibake, implausible_characters

Cells = tuple[object, ...]
Row = tuple[int, Cells]  # (line or row number, cells)
HeaderTest = Callable[[Sequence[object]], bool]

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITERS = (",", ";", "\t")
HEADER_SCAN_ROWS = 20
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_ROWS = 50_000  # per sheet: far more than a year of any kind
MAX_COLUMNS = 256
MAX_CELLS = 50_000  # non-empty cells per file: ~1 s of openpyxl; a year's log is a few thousand
UTF16_SAMPLE = 4096


@dataclass(frozen=True)
class RawSheet:
    """The non-blank rows of one CSV file or one XLSX sheet, with their numbers."""

    name: str | None  # XLSX sheet name; None for CSV
    rows: tuple[Row, ...]
    is_csv: bool


def is_blank_row(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def read_sheets(data: bytes, is_header: HeaderTest) -> list[RawSheet]:
    """Every sheet of the file. ``is_header`` picks the CSV delimiter (see :func:`read_csv`)."""
    if not data.strip():
        raise FileRejected("Tệp rỗng, không có dữ liệu.", "The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise too_large(len(data))
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data, is_header)
    if data.startswith(OLE2_MAGIC):
        raise FileRejected(
            "Tệp Excel dạng cũ (.xls, Excel 97-2003) hoặc có mật khẩu: không đọc được. Hãy mở "
            "tệp và lưu lại dạng 'Sổ làm việc Excel (.xlsx)' không đặt mật khẩu.",
            "Old-style Excel file (.xls, Excel 97-2003) or a password-protected workbook: it "
            "cannot be read. Open it and save it as 'Excel Workbook (.xlsx)' without a password.")
    text = decode_text(data)
    refuse_mojibake(text)
    return [read_csv(text, is_header)]


def too_large(size: int) -> FileRejected:
    mib = MAX_FILE_BYTES // (1024 * 1024)
    return FileRejected(
        f"Tệp quá lớn ({size / 1024 / 1024:.1f} MiB, tối đa {mib} MiB). Hãy tách thành nhiều "
        f"tệp nhỏ hơn (ví dụ mỗi quý một tệp).",
        f"The file is too large ({size / 1024 / 1024:.1f} MiB, at most {mib} MiB). Split it "
        f"into smaller files (e.g. one per quarter).")


# --------------------------------------------------------------------------------------------
# Text encodings
# --------------------------------------------------------------------------------------------

_RESAVE_VI = ("Hãy mở tệp và lưu lại dạng 'CSV UTF-8 (Comma delimited)', hoặc xuất lại tệp từ "
              "phần mềm gốc.")
_RESAVE_EN = "Save it again as 'CSV UTF-8 (Comma delimited)', or export it again from its source."


def decode_text(data: bytes) -> str:
    """The text of a CSV file; see the module docstring for the encodings read."""
    if data.startswith(codecs.BOM_UTF8):
        return _no_nul(_strict(data, "utf-8-sig", "UTF-8"))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _no_nul(_strict(data, "utf-16", "UTF-16"))
    if b"\x00" in data:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise _nul_error()
        return _no_nul(_strict(data, encoding, "UTF-16"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _legacy(data, exc)


def _strict(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc, label) from None


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise _nul_error()
    return text


def _nul_error() -> FileRejected:
    return FileRejected(
        f"Tệp có ký tự NUL: không phải tệp văn bản đọc được (có thể là tệp nhị phân hoặc bảng "
        f"mã lạ). {_RESAVE_VI}",
        f"The file contains NUL characters: it is not readable text (perhaps a binary file or "
        f"an unusual encoding). {_RESAVE_EN}")


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the bytes have UTF-16's NUL pattern, else ``None``."""
    sample = data[:UTF16_SAMPLE]
    if len(data) % 2 or len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd >= 0.3 and zeros_even <= 0.01:
        return "utf-16-le"
    if zeros_even >= 0.3 and zeros_odd <= 0.01:
        return "utf-16-be"
    return None


def _legacy(data: bytes, utf8_error: UnicodeDecodeError) -> str:
    """Windows-1258 when it reads as Vietnamese, else a refusal naming the first bad byte."""
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        raise _encoding_error(data, utf8_error, "UTF-8") from None
    odd = implausible_characters(text)
    if odd:
        raise _encoding_error(data, utf8_error, "UTF-8", odd)
    return text


def refuse_mojibake(text: str) -> None:
    """Refuse text that is UTF-8 already garbled once (``Há»™i`` for ``Hội``), naming the line."""
    found = find_mojibake(text)
    if found is None:
        return
    garbled, meant = found
    line = text[: text.find(garbled)].count("\n") + 1
    raise FileRejected(
        f"Chữ tiếng Việt trong tệp đã bị hỏng bảng mã (dòng {line}: «{garbled}» lẽ ra là "
        f"«{meant}»): tệp UTF-8 đã bị mở bằng bảng mã khác rồi lưu lại. Hãy lấy lại tệp gốc "
        f"hoặc xuất lại từ phần mềm gốc, rồi lưu dạng 'CSV UTF-8'; không sửa được tự động một "
        f"cách chắc chắn.",
        f"The Vietnamese text in this file is garbled (line {line}: '{garbled}' should read "
        f"'{meant}'): a UTF-8 file was opened in another encoding and saved again. Get the "
        f"original back or export it again from its source, then save as 'CSV UTF-8'; it cannot "
        f"be repaired automatically with certainty.",
        line=line)


def _shown(chars: str) -> str:
    """Odd characters for a message: a lone combining mark is shown on a dotted circle."""
    return " ".join(f"\u25cc{ch}" if unicodedata.category(ch) == "Mn" else ch for ch in chars)


def _encoding_error(data: bytes, exc: UnicodeDecodeError, encoding: str,
                    odd: str = "") -> FileRejected:
    line = data[: exc.start].count(b"\n") + 1
    bad = data[exc.start : exc.start + 4].hex(" ")
    odd = _shown(odd)
    seen_vi = f" Đọc theo Windows-1258 thì ra ký tự lạ «{odd}»." if odd else ""
    seen_en = f" Read as Windows-1258 it shows odd characters «{odd}»." if odd else ""
    return FileRejected(
        f"Tệp không đúng bảng mã {encoding} (byte lạ {bad} ở dòng {line}); có thể tệp được lưu "
        f"bằng bảng mã cũ (TCVN3/ABC, VNI, Windows-1258) hoặc không phải tệp CSV.{seen_vi} "
        f"{_RESAVE_VI}",
        f"The file is not valid {encoding} (unexpected bytes {bad} on line {line}); it may have "
        f"been saved in a legacy encoding (TCVN3/ABC, VNI, Windows-1258), or it is not a CSV "
        f"file.{seen_en} {_RESAVE_EN}",
        line=line)


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    def records() -> Any:  # a csv reader (its line_num numbers the lines below)
        return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)

    if '"' not in text:
        # nothing quoted, so no value spans lines: record n is line n. Read in one call; any
        # error (an overlong cell) is met again below, which names its line
        try:
            every = list(records())
        except csv.Error:
            pass
        else:
            yield from enumerate(map(tuple, every), start=1)
            return
    reader = records()
    start = 1
    try:
        for cells in reader:
            yield start, tuple(cells)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _oversized_cell(start) from None
        raise FileRejected(
            f"Tệp CSV hỏng từ dòng {start}: {exc} (thường do dấu ngoặc kép \" mở mà không đóng, "
            f"hoặc có chữ ngay sau dấu ngoặc kép đóng). Hãy sửa dòng đó. {_RESAVE_VI}",
            f"The CSV file is malformed from line {start}: {exc} (usually a \" opened and never "
            f"closed, or text right after a closing \"). Fix that line. {_RESAVE_EN}",
            line=start) from None


def _oversized_cell(line: int) -> FileRejected:
    limit = csv.field_size_limit()
    limit_vi = f"{limit:,}".replace(",", ".")  # Vietnamese groups thousands with dots
    return FileRejected(
        f"Một ô từ dòng {line} dài hơn {limit_vi} ký tự: không ô nào của các sổ theo dõi dài như "
        "vậy (thường do cả một văn bản, hay cả một tệp khác, bị dán vào một ô). Hãy mở tệp bằng "
        "Excel, tìm ô quá dài ở dòng đó, xoá hoặc rút gọn nội dung của nó, rồi lưu lại và đặt "
        "tệp vào inbox.",
        f"A cell from line {line} is longer than {limit:,} characters: no cell of the registers "
        "is that long (usually a whole document, or another file, pasted into one cell). Open "
        "the file in Excel, find the overlong cell on that line, delete or shorten its content, "
        "then save it and drop it into the inbox again.", line=line)


def _first_lines(text: str, n: int) -> list[str]:
    """The first ``n`` non-blank lines of ``text.splitlines()``, splitting only the start of
    the text: of a longer head's lines, all but the last are whole."""
    size = 8192
    while True:
        lines = [line for line in text[:size].splitlines() if line.strip()]
        if len(lines) > n or size >= len(text):
            return lines[:n]
        size *= 8


def sniff_delimiter(text: str, is_header: HeaderTest) -> str:
    """The delimiter under which one of the first lines reads as a known header.

    When no line does, the delimiter that splits the first non-blank line into more cells (the
    file will then be quarantined by kind detection, which names the closest kind).
    """
    lines = _first_lines(text, HEADER_SCAN_ROWS)
    for line in lines:
        for delimiter in DELIMITERS:
            cells = next(csv.reader([line], delimiter=delimiter), [])
            if is_header(cells):
                return delimiter
    first = lines[0] if lines else ""
    return max(DELIMITERS, key=lambda d: len(next(csv.reader([first], delimiter=d), [])))


def read_csv(text: str, is_header: HeaderTest) -> RawSheet:
    delimiter = sniff_delimiter(text, is_header)
    rows: list[Row] = []
    budget = _Budget(None)
    for line, cells in _csv_rows(text, delimiter):
        joined = "".join(cells)  # CSV cells are texts: blank when all of them are
        if joined and not joined.isspace():
            budget.count(line, cells, filled=len(cells) - cells.count(""))
            rows.append((line, cells))
    return RawSheet(name=None, rows=tuple(rows), is_csv=True)


@dataclass
class _Budget:
    """Counts rows and cells of a file against ``MAX_ROWS``/``MAX_CELLS``."""

    sheet: str | None
    cells: int = 0

    def count(self, number: int, cells: Sequence[object], filled: int | None = None) -> None:
        """``filled``: the non-empty cells of ``cells`` when the caller knows them."""
        if number > MAX_ROWS:
            where_vi = f"trang tính «{self.sheet}» " if self.sheet is not None else ""
            where_en = f"sheet '{self.sheet}' " if self.sheet is not None else ""
            raise FileRejected(
                f"Tệp quá lớn: {where_vi}có nội dung hoặc định dạng quá dòng {MAX_ROWS}. Hãy "
                f"xoá các dòng thừa bên dưới dữ liệu (Ctrl+End cho biết ô cuối cùng) hoặc tách "
                f"tệp.",
                f"The file is too large: {where_en}has content or formatting beyond row "
                f"{MAX_ROWS}. Delete the stray rows below the data (Ctrl+End shows the last "
                f"cell) or split the file.", line=number, sheet=self.sheet)
        self.cells += filled if filled is not None else sum(
            1 for c in cells if c is not None and c != "")
        if self.cells > MAX_CELLS:
            raise FileRejected(
                f"Tệp quá lớn: hơn {MAX_CELLS} ô có dữ liệu. Hãy tách thành nhiều tệp nhỏ hơn.",
                f"The file is too large: more than {MAX_CELLS} non-empty cells. Split it into "
                f"smaller files.", line=number, sheet=self.sheet)


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def read_xlsx(data: bytes, is_header: HeaderTest | None = None) -> list[RawSheet]:
    """Every worksheet, cells typed as Excel holds them (cached values of formulas).

    With ``is_header``, a sheet none of whose first ``HEADER_SCAN_ROWS`` non-blank rows is a
    header is read no further (an instructions or pivot sheet): those rows are enough to name
    the closest kind.
    """
    checked = check_xlsx(data)  # before openpyxl sees a byte of XML; a rebuilt copy
    unsaved = formulas_without_values(checked)
    if unsaved:
        raise _unsaved_formulas(unsaved)
    from openpyxl import load_workbook  # imported here: keeps ``import bcd35.ingest`` light

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dropped images, unknown extensions, …
            workbook = load_workbook(io.BytesIO(checked), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign zip
        raise FileRejected(
            f"Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải sổ làm việc Excel "
            f"({type(exc).__name__}). Hãy mở tệp bằng Excel và lưu lại dạng .xlsx.",
            f"The Excel file (.xlsx) cannot be read: it is damaged or not an Excel workbook "
            f"({type(exc).__name__}). Open it in Excel and save it again as .xlsx.") from None
    budget = _Budget(None)
    try:
        return [_xlsx_sheet(ws, budget, is_header) for ws in workbook.worksheets]
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected(
            f"Tệp Excel (.xlsx) bị hỏng, không đọc hết được ({type(exc).__name__}). Hãy mở tệp "
            f"bằng Excel và lưu lại dạng .xlsx.",
            f"The Excel file (.xlsx) is damaged and cannot be read through "
            f"({type(exc).__name__}). Open it in Excel and save it again as .xlsx.") from None
    finally:
        workbook.close()


_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+[0-9]+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]")


def formulas_without_values(checked: bytes, limit: int = 5) -> list[tuple[str, str]]:
    """``(worksheet part, cell)`` of formula cells saved without their computed value.

    Excel stores each formula's last value beside it; a workbook written by a program (or
    saved with calculation turned off) may not. Excel computes and shows those values, but a
    reader of the file sees empty cells: the clerk would be told "empty" about cells that show
    numbers on screen. At most ``limit`` are returned.
    """
    found: list[tuple[str, str]] = []
    with zipfile.ZipFile(io.BytesIO(checked)) as archive:
        for name in sorted(archive.namelist()):
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            xml = archive.read(name)
            if b"<f" not in xml and b":f" not in xml:  # no formula at all: the common case
                continue
            for cell in _CELL.finditer(xml):
                body = cell.group(2) or b""
                if _FORMULA.search(body) and not _VALUE.search(body):
                    ref = _CELL_REF.search(cell.group(1))
                    found.append((name.rsplit("/", 1)[-1].removesuffix(".xml"),
                                   ref.group(1).decode() if ref else "?"))
                    if len(found) >= limit:
                        return found
    return found


def _unsaved_formulas(cells: Sequence[tuple[str, str]]) -> FileRejected:
    where = ", ".join(f"{part}!{ref}" for part, ref in cells)
    return FileRejected(
        f"Tệp có ô công thức được lưu mà không kèm giá trị đã tính ({where}…): Excel vẫn hiện "
        "số, nhưng chương trình đọc tệp chỉ thấy ô trống. Hãy mở tệp bằng Excel, bấm F9 (tính "
        "lại) rồi Lưu (Ctrl+S), sau đó đặt lại tệp vào inbox.",
        f"The file has formula cells saved without their computed values ({where}…): Excel "
        "still shows numbers, but a program reading the file sees empty cells. Open the file "
        "in Excel, press F9 (recalculate) and Save (Ctrl+S), then drop it into the inbox "
        "again.")


def _trim(cells: Sequence[object]) -> Cells:
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return tuple(cells[:end])


def _xlsx_sheet(worksheet: Any, budget: _Budget, is_header: HeaderTest | None) -> RawSheet:
    # Files written by other tools often carry a wrong <dimension>: read every cell instead,
    # but never further right than MAX_COLUMNS (a stray cell in column XFD would otherwise make
    # every row 16 384 cells wide).
    worksheet.reset_dimensions()
    budget.sheet = str(worksheet.title)
    rows: list[Row] = []
    header_seen = is_header is None
    for number, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True),
                                   start=1):
        if number <= MAX_ROWS and (cells.count(None) == len(cells) or is_blank_row(cells)):
            continue
        budget.count(number, cells)
        row = (number, _trim(cells))
        rows.append(row)
        if not header_seen:
            header_seen = is_header(row[1]) if is_header is not None else True
            if not header_seen and len(rows) >= HEADER_SCAN_ROWS:
                break  # no header in the leading rows: not a sheet of any kind
    return RawSheet(name=str(worksheet.title), rows=tuple(rows), is_csv=False)
