"""Check an XLSX archive before openpyxl touches it: zip bombs and hostile XML are refused.

An XLSX file is a zip of XML parts. A hostile one can declare or hide gigabytes behind a few
kilobytes (a zip bomb), carry millions of entries, or put a DTD in its XML (billion laughs,
external entities). :func:`check_xlsx` looks only at the zip's end records and central directory
and at the first bytes of each XML part, so a bomb is refused in milliseconds and in a few MiB
of memory:

1. the end-of-central-directory record (and the ZIP64 one when present) is read by hand: too many
   entries or too large a central directory are refused before :mod:`zipfile` builds an object
   per entry;
2. every entry: stored or deflated only, not encrypted, declared size at most
   ``MAX_ENTRY_BYTES``, all entries together at most ``MAX_TOTAL_BYTES`` (XML parts at most
   ``MAX_XML_BYTES``: openpyxl parses them at a few MiB per second), and at most ``MAX_RATIO``
   times its compressed size (Apache POI's rule); :mod:`zipfile` never inflates past the
   declared size (it stops there and checks the CRC), so the declared sizes bound everything
   openpyxl can later read;
3. the XML prolog of every part (up to its root element) must hold no ``<!DOCTYPE`` or
   ``<!ENTITY``: OOXML never needs a DTD.

What openpyxl then opens is not the file but a copy rebuilt from what passed (:func:`check_xlsx`
returns it): the XML parts as read (CRC-checked by :mod:`zipfile`), stored uncompressed, every
other part (images, printer settings, macros) emptied — nothing is read from them, and an image
bomb cannot reach Pillow — and a ``<dimension>`` added to any worksheet that lacks one (without
it openpyxl's read-only mode parses the whole sheet once more just to size it).

Second line of defence: openpyxl parses worksheets with ``defusedxml`` (installed; asserted by
the tests) and other parts with ``lxml`` without entity resolution; rows, columns and cells read
are capped in :mod:`bcd35.ingest.reading`.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from bcd35.ingest.errors import FileRejected

MiB = 1024 * 1024
MAX_ENTRIES = 1_000  # a workbook has a few dozen parts; one per sheet, image, style …
MAX_CENTRAL_DIRECTORY_BYTES = 1 * MiB
MAX_ENTRY_BYTES = 64 * MiB  # one XML part, uncompressed
MAX_TOTAL_BYTES = 200 * MiB  # all parts together, uncompressed
# XML parts together, uncompressed: what openpyxl parses, at a few MiB/s with defusedxml. A
# district office's workbook holds well under 2 MiB of XML; this keeps the worst case to seconds.
MAX_XML_BYTES = 4 * MiB
MAX_RATIO = 100  # uncompressed / compressed, for parts above RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1 * MiB
PROLOG_SCAN_BYTES = 64 * 1024  # the root element must start within this many bytes
REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_SHEET_DATA = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?sheetData[\s/>]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension[\s/>]")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)

_RESAVE_VI = "Hãy mở tệp bằng Excel và lưu lại dạng 'Sổ làm việc Excel (.xlsx)'."
_RESAVE_EN = "Open it in Excel and save it again as 'Excel Workbook (.xlsx)'."


def _refuse(what_vi: str, what_en: str) -> FileRejected:
    return FileRejected(
        f"Tệp Excel (.xlsx) bị từ chối vì lý do an toàn: {what_vi} Tệp Excel bình thường không "
        f"như vậy; tệp có thể bị hỏng hoặc được tạo ra để gây hại. {_RESAVE_VI}",
        f"The Excel file (.xlsx) is refused for safety: {what_en} A normal workbook is never "
        f"like this; the file is damaged or built to cause harm. {_RESAVE_EN}")


def _end_records(data: bytes) -> tuple[int, int]:
    """(number of entries, central directory size) from the end records, ZIP64 included."""
    tail_start = max(0, len(data) - _EOCD_SIZE - _MAX_COMMENT)
    at = data.rfind(_EOCD, tail_start)
    if at < 0 or len(data) - at < _EOCD_SIZE:
        raise _refuse("không tìm thấy mục lục của tệp nén (zip).",
                      "the zip central directory cannot be found.")
    _, _, _, _, entries, cd_size, _, _ = struct.unpack("<4s4H2LH", data[at:at + _EOCD_SIZE])
    locator = at - 20
    if locator >= 0 and data[locator:locator + 4] == _EOCD64_LOCATOR:
        (offset,) = struct.unpack("<Q", data[locator + 8:locator + 16])
        record = data[offset:offset + 56] if offset < len(data) else b""
        if len(record) < 56 or record[:4] != _EOCD64:
            raise _refuse("mục lục ZIP64 hỏng.", "the ZIP64 end record is damaged.")
        entries, cd_size = struct.unpack("<QQ", record[32:48])
    return entries, cd_size


def _check_counts(data: bytes) -> None:
    entries, cd_size = _end_records(data)
    if entries > MAX_ENTRIES:
        raise _refuse(f"tệp nén khai báo {entries} thành phần (tối đa {MAX_ENTRIES}).",
                      f"the zip declares {entries} entries (at most {MAX_ENTRIES}).")
    if cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise _refuse(f"mục lục tệp nén dài {cd_size} byte (tối đa "
                      f"{MAX_CENTRAL_DIRECTORY_BYTES}).",
                      f"the zip central directory is {cd_size} bytes long (at most "
                      f"{MAX_CENTRAL_DIRECTORY_BYTES}).")


def _check_entry(info: zipfile.ZipInfo) -> None:
    name = info.filename
    if info.flag_bits & 0x1:
        raise FileRejected(
            "Tệp Excel có đặt mật khẩu: không đọc được. Hãy mở tệp, bỏ mật khẩu (File → Info → "
            "Protect Workbook) rồi lưu lại dạng .xlsx.",
            "The Excel file is password-protected and cannot be read. Open it, remove the "
            "password (File → Info → Protect Workbook) and save it again as .xlsx.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refuse(f"thành phần «{name}» dùng kiểu nén lạ ({info.compress_type}).",
                      f"the part '{name}' uses an unusual compression ({info.compress_type}).")
    size = info.file_size
    if size > MAX_ENTRY_BYTES:
        raise _refuse(f"thành phần «{name}» khai báo {size // MiB} MiB khi giải nén (tối đa "
                      f"{MAX_ENTRY_BYTES // MiB} MiB).",
                      f"the part '{name}' declares {size // MiB} MiB uncompressed (at most "
                      f"{MAX_ENTRY_BYTES // MiB} MiB).")
    ratio = size / max(info.compress_size, 1)
    if size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
        raise _refuse(f"thành phần «{name}» nén {ratio:.0f} lần (tối đa {MAX_RATIO} lần): dấu "
                      f"hiệu của một 'bom nén'.",
                      f"the part '{name}' is compressed {ratio:.0f} times (at most "
                      f"{MAX_RATIO}): the mark of a zip bomb.")


def _prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The first bytes of an XML part, as bytes of an ASCII-compatible encoding."""
    with archive.open(info) as fh:
        head = fh.read(PROLOG_SCAN_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[1:2] == b"\x00" \
            or head[:1] == b"\x00":
        encoding = "utf-16-be" if head.startswith(b"\xfe\xff") or head[:1] == b"\x00" \
            else "utf-16-le"
        return head[: len(head) // 2 * 2].decode(encoding, errors="replace").encode("utf-8")
    return head


def _check_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    head = _prolog(archive, info)
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    if _DTD.search(prolog):
        raise _refuse(f"phần XML «{info.filename}» có khai báo DOCTYPE/ENTITY (có thể là tấn "
                      f"công 'billion laughs' hoặc thực thể ngoài).",
                      f"the XML part '{info.filename}' declares a DOCTYPE/ENTITY (an entity "
                      f"expansion or external entity attack).")
    if root is None and info.file_size > len(head):
        raise _refuse(f"phần XML «{info.filename}» không bắt đầu phần tử gốc trong "
                      f"{PROLOG_SCAN_BYTES // 1024} KiB đầu.",
                      f"the XML part '{info.filename}' does not open its root element within "
                      f"its first {PROLOG_SCAN_BYTES // 1024} KiB.")


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels", ".vml"))


def _with_dimension(xml: bytes) -> bytes:
    """A worksheet with a ``<dimension>`` before its ``<sheetData>`` (added when missing)."""
    sheet_data = _SHEET_DATA.search(xml)
    if sheet_data is None or _DIMENSION.search(xml, 0, sheet_data.start()):
        return xml
    prefix = sheet_data.group(1) + b":" if sheet_data.group(1) else b""
    return xml[:sheet_data.start()] + b"<" + prefix + b'dimension ref="A1"/>' + \
        xml[sheet_data.start():]


def _rebuilt(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in infos:
            if info.is_dir():
                continue
            content = _with_dimension(archive.read(info)) if _is_xml(info.filename) else b""
            copy.writestr(info.filename, content)
    return out.getvalue()


def check_xlsx(data: bytes) -> bytes:
    """The archive openpyxl may open (see the module docstring), or :class:`FileRejected`."""
    _check_counts(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            for info in infos:
                _check_entry(info)
            total = sum(info.file_size for info in infos)
            if total > MAX_TOTAL_BYTES:
                raise _refuse(f"các thành phần khai báo tổng cộng {total // MiB} MiB khi giải "
                              f"nén (tối đa {MAX_TOTAL_BYTES // MiB} MiB).",
                              f"the parts declare {total // MiB} MiB uncompressed in total (at "
                              f"most {MAX_TOTAL_BYTES // MiB} MiB).")
            xml_total = sum(info.file_size for info in infos if _is_xml(info.filename))
            if xml_total > MAX_XML_BYTES:
                raise FileRejected(
                    f"Tệp Excel quá lớn: {xml_total // MiB} MiB dữ liệu XML khi giải nén (tối đa "
                    f"{MAX_XML_BYTES // MiB} MiB). Hãy tách thành nhiều tệp nhỏ hơn hoặc lưu "
                    f"dạng CSV UTF-8.",
                    f"The Excel file is too large: {xml_total // MiB} MiB of XML uncompressed "
                    f"(at most {MAX_XML_BYTES // MiB} MiB). Split it into smaller files or save "
                    f"it as CSV UTF-8.")
            names = {info.filename for info in infos}
            missing = [part for part in REQUIRED_PARTS if part not in names]
            if missing:
                raise FileRejected(
                    "Tệp nén (zip) này không phải sổ làm việc Excel (.xlsx) — có thể là tệp "
                    "Word, tệp zip thường hoặc tệp .xlsx bị hỏng. Hãy lưu dữ liệu dạng .xlsx "
                    "hoặc CSV UTF-8.",
                    f"This zip file is not an Excel workbook (.xlsx) — perhaps a Word document, "
                    f"a plain zip or a damaged .xlsx (missing {', '.join(missing)}). Save the "
                    f"data as .xlsx or as CSV UTF-8.")
            for info in infos:
                if _is_xml(info.filename):
                    _check_xml(archive, info)
            return _rebuilt(archive, infos)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
            NotImplementedError, struct.error) as exc:
        raise FileRejected(
            f"Không đọc được tệp Excel (.xlsx): tệp hỏng hoặc không phải sổ làm việc Excel "
            f"({type(exc).__name__}). {_RESAVE_VI}",
            f"The Excel file (.xlsx) cannot be read: it is damaged or not an Excel workbook "
            f"({type(exc).__name__}). {_RESAVE_EN}") from None
