"""XLSX bombs are refused within 2 s and 300 MiB (docs/formats.md).

The bombs are built here, in ``tmp_path`` (some are tens of MiB when inflated): a huge declared
size, an extreme compression ratio, too many parts, a total over the cap, entity expansion
(billion laughs), an external entity, a DTD hidden behind UTF-16 or a long comment, and a sheet
whose cells sit at row 1 048 576 and column XFD. They are read in a fresh Python process that
reports, for each, the wall time of the read and the peak resident memory of the whole process
(``VmHWM``, reset between files), so the measure includes everything: Python, openpyxl, lxml,
zlib.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from bcd35.ingest import xlsx_guard
from bcd35.ingest.errors import FileRejected
from bcd35.ingest.reading import MAX_ROWS, read_sheets

MiB = 1024 * 1024
MAX_SECONDS = 2.0
MAX_PEAK_MIB = 300
SHEET = "xl/worksheets/sheet1.xml"
HEADER = ("Ngày", "Tên hội nghị", "Loại hội nghị", "Đơn vị tổ chức", "Xã/Thị trấn",
          "Số đại biểu")
SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def good_workbook() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(HEADER))
    ws.append(["05/01/2024", "Hội nghị A", "TTTS", "Ban Tuyên giáo", "Huyện", 10])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rebuild(replace: dict[str, bytes | Callable[[zipfile.ZipFile], None]],
            extra: Callable[[zipfile.ZipFile], None] | None = None) -> bytes:
    """The good workbook with some parts replaced (bytes, or a writer for large parts)."""
    source = zipfile.ZipFile(io.BytesIO(good_workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = replace.get(info.filename)
            if part is None:
                target.writestr(info.filename, source.read(info.filename))
            elif isinstance(part, bytes):
                target.writestr(info.filename, part)
            else:
                part(target)
        if extra is not None:
            extra(target)
    return out.getvalue()


def patch_central_directory(data: bytes, name: str, *, compressed: int | None = None,
                            uncompressed: int) -> bytes:
    """Rewrite the sizes a central-directory entry declares (the bytes stay as they are)."""
    raw = bytearray(data)
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        name_length = struct.unpack("<H", raw[at + 28:at + 30])[0]
        if raw[at + 46:at + 46 + name_length] == name.encode():
            if compressed is not None:
                raw[at + 20:at + 24] = struct.pack("<L", compressed)
            raw[at + 24:at + 28] = struct.pack("<L", uncompressed)
            return bytes(raw)
        at = raw.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} not in the central directory")


def huge_declared_size() -> bytes:
    return patch_central_directory(good_workbook(), SHEET, uncompressed=0xFFFFFFF0)


def extreme_ratio() -> bytes:
    def spaces(zf: zipfile.ZipFile) -> None:
        with zf.open(SHEET, "w") as fh:
            fh.write(f"<worksheet {SHEET_NS}><sheetData>".encode())
            for _ in range(48):
                fh.write(b" " * MiB)
            fh.write(b"</sheetData></worksheet>")

    return rebuild({SHEET: spaces})


def total_over_the_cap() -> bytes:
    def parts(zf: zipfile.ZipFile) -> None:
        for index in range(4):
            zf.writestr(f"xl/media/image{index}.bin", b"x" * 1024)

    data = rebuild({}, extra=parts)
    for index in range(4):  # 4 × 60 MiB declared at a plausible ratio of 60
        data = patch_central_directory(data, f"xl/media/image{index}.bin", compressed=MiB,
                                       uncompressed=60 * MiB)
    return data


def too_many_parts() -> bytes:
    def parts(zf: zipfile.ZipFile) -> None:
        for index in range(5_000):
            zf.writestr(f"xl/media/p{index}.xml", b"<a/>")

    return rebuild({}, extra=parts)


def billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
           f'<worksheet {SHEET_NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
           f'&lol9;</t></is></c></row></sheetData></worksheet>')
    return rebuild({SHEET: xml.encode()})


def external_entity() -> bytes:
    xml = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
           'uniqueCount="1"><si><t>&xxe;</t></si></sst>')
    return rebuild({"xl/workbook.xml": _with_doctype_in_workbook(xml)})


def _with_doctype_in_workbook(xml: str) -> bytes:
    workbook = zipfile.ZipFile(io.BytesIO(good_workbook())).read("xl/workbook.xml").decode()
    doctype = xml[xml.index("<!DOCTYPE"):xml.index("]>") + 2]
    body = workbook.split("?>", 1)[1] if workbook.startswith("<?xml") else workbook
    return ('<?xml version="1.0" encoding="UTF-8"?>' + doctype + body).encode()


def doctype_in_utf16() -> bytes:
    xml = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE lolz [<!ENTITY a "aaaa">]>'
           f'<worksheet {SHEET_NS}><sheetData/></worksheet>')
    return rebuild({SHEET: b"\xff\xfe" + xml.encode("utf-16-le")})


def doctype_behind_a_long_comment() -> bytes:
    xml = ('<?xml version="1.0"?><!--' + "x" * (80 * 1024) + '-->'
           '<!DOCTYPE lolz [<!ENTITY a "aaaa">]>'
           f'<worksheet {SHEET_NS}><sheetData/></worksheet>')
    return rebuild({SHEET: xml.encode()})


def far_away_cells() -> bytes:
    """Two cells: A1 and XFD1048576. Reading it naively yields a million rows of 16 384."""
    xml = (f'<?xml version="1.0"?><worksheet {SHEET_NS}><sheetData>'
           '<row r="1"><c r="A1" t="inlineStr"><is><t>Ngày</t></is></c></row>'
           '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
           '</sheetData></worksheet>')
    return rebuild({SHEET: xml.encode()})


def numeric_sheet(rows: int, *, header: bool = True) -> Callable[[zipfile.ZipFile], None]:
    """A worksheet without <dimension>: a header (optional), then rows of six numbers."""
    def write(zf: zipfile.ZipFile) -> None:
        with zf.open(SHEET, "w") as fh:
            fh.write(f'<?xml version="1.0"?><worksheet {SHEET_NS}><sheetData>'.encode())
            if header:
                cells = "".join(f'<c r="{column}1" t="inlineStr"><is><t>{text}</t></is></c>'
                                for column, text in zip("ABCDEF", HEADER, strict=True))
                fh.write(f'<row r="1">{cells}</row>'.encode())
            for r in range(2, rows + 2):
                cells = "".join(f'<c r="{column}{r}"><v>{(r * 7919 + i) % 999983}</v></c>'
                                for i, column in enumerate("ABCDEF"))
                fh.write(f'<row r="{r}">{cells}</row>'.encode())
            fh.write(b"</sheetData></worksheet>")

    return write


def xml_over_the_cap() -> bytes:
    """5 MiB of XML declared at a plausible ratio of 5: more XML than openpyxl may parse."""
    return patch_central_directory(good_workbook(), SHEET, compressed=MiB,
                                   uncompressed=5 * MiB)


def heavy_sheet_under_the_caps() -> bytes:
    """Just under the XML cap, no <dimension>: stopped by the cell cap."""
    return rebuild({SHEET: numeric_sheet(20_000)})


BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    "huge_declared_size": (huge_declared_size, "MiB uncompressed"),
    "extreme_ratio": (extreme_ratio, "zip bomb"),
    "total_over_the_cap": (total_over_the_cap, "in total"),
    "too_many_parts": (too_many_parts, "entries"),
    "billion_laughs": (billion_laughs, "DOCTYPE"),
    "external_entity": (external_entity, "DOCTYPE"),
    "doctype_in_utf16": (doctype_in_utf16, "DOCTYPE"),
    "doctype_behind_a_long_comment": (doctype_behind_a_long_comment, "root element"),
    "far_away_cells": (far_away_cells, f"beyond row {MAX_ROWS}"),
    "xml_over_the_cap": (xml_over_the_cap, "MiB of XML"),
}

_PROBE = """
import json, re, sys, time
from pathlib import Path
from bcd35.ingest import analyse
from bcd35.ingest.rows import ParseContext
import openpyxl  # imported before measuring: the cost of reading, not of importing

def peak_mib():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024

def reset_peak():
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass

results = {}
for path in sys.argv[1:]:
    data = Path(path).read_bytes()
    reset_peak()
    base = peak_mib()
    start = time.process_time()  # CPU time: the work the caps bound, whatever the load
    result = analyse(data, ParseContext(max_year=2025))
    seconds = time.process_time() - start
    results[Path(path).stem] = {
        "seconds": seconds, "peak_mib": peak_mib(), "base_mib": base,
        "loaded": bool(result.parsed) and not result.errors,
        "reasons": [e.reason_en for e in result.errors]}
    del data, result
print(json.dumps(results))
"""


def probe(paths: list[Path]) -> dict[str, dict]:
    """Read each file in one fresh process; CPU time and peak resident memory of each."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *map(str, paths)], capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = []
    for name, (build, _) in {**BOMBS, "heavy_sheet_under_the_caps": (
            heavy_sheet_under_the_caps, "")}.items():
        path = folder / f"{name}.xlsx"
        path.write_bytes(build())
        paths.append(path)
    return probe(paths)


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_is_refused_within_2_seconds_and_300_mib(measured: dict[str, dict],
                                                       name: str) -> None:
    result = measured[name]
    print(f"{name}: {result['seconds']:.3f} s, peak {result['peak_mib']:.0f} MiB "
          f"(before reading {result['base_mib']:.0f} MiB)")
    assert not result["loaded"]
    assert len(result["reasons"]) == 1 and BOMBS[name][1] in result["reasons"][0]
    assert result["seconds"] < MAX_SECONDS
    assert result["peak_mib"] < MAX_PEAK_MIB


def test_the_heaviest_honest_sheet_is_refused_in_bounded_time(measured: dict[str, dict]) -> None:
    """Not a bomb: 4 MiB of real cells, no <dimension>. The caps bound the work (~1 s)."""
    result = measured["heavy_sheet_under_the_caps"]
    print(f"heavy sheet: {result['seconds']:.3f} s, peak {result['peak_mib']:.0f} MiB")
    assert "non-empty cells" in result["reasons"][0]
    assert result["seconds"] < 2 * MAX_SECONDS  # generous: shared CI machines are noisy
    assert result["peak_mib"] < MAX_PEAK_MIB


def test_the_good_workbook_passes_the_guard() -> None:
    data = good_workbook()
    xlsx_guard.check_xlsx(data)
    [sheet] = read_sheets(data, lambda cells: False)
    assert sheet.rows[0][1] == HEADER


def test_openpyxl_gets_a_rebuilt_copy_with_xml_only_and_a_dimension(tmp_path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from PIL import Image as PILImage

    PILImage.new("RGB", (4, 4)).save(tmp_path / "logo.png")
    wb = Workbook()
    wb.active.append(list(HEADER))
    wb.active.add_image(Image(str(tmp_path / "logo.png")), "H1")
    wb.save(tmp_path / "with_image.xlsx")
    data = (tmp_path / "with_image.xlsx").read_bytes()
    copy = zipfile.ZipFile(io.BytesIO(xlsx_guard.check_xlsx(data)))
    assert all(info.compress_type == zipfile.ZIP_STORED for info in copy.infolist())
    assert copy.read("xl/media/image1.png") == b""
    undimensioned = rebuild({SHEET: numeric_sheet(3)})
    sheet = zipfile.ZipFile(io.BytesIO(xlsx_guard.check_xlsx(undimensioned))).read(SHEET)
    assert b'<dimension ref="A1"/><sheetData>' in sheet
    [read] = read_sheets(data, lambda cells: False)
    assert read.rows == ((1, HEADER),)


def test_a_row_wider_than_the_column_cap_is_cut_not_padded() -> None:
    cells = "".join(f'<c r="{column}1" t="inlineStr"><is><t>{text}</t></is></c>'
                    for column, text in zip("ABCDEF", HEADER, strict=True))
    xml = (f'<?xml version="1.0"?><worksheet {SHEET_NS}><sheetData><row r="1">{cells}'
           '<c r="XFD1"><v>1</v></c></row></sheetData></worksheet>')
    [sheet] = read_sheets(rebuild({SHEET: xml.encode()}), lambda cells: False)
    assert sheet.rows == ((1, HEADER),)


def test_defusedxml_is_installed_and_used_by_openpyxl() -> None:
    import defusedxml  # noqa: F401
    import openpyxl.xml
    import openpyxl.xml.functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")


def test_defusedxml_stops_entities_even_without_the_guard() -> None:
    """The second line of defence: openpyxl's own parser refuses the DTD."""
    from defusedxml import DTDForbidden, EntitiesForbidden
    from openpyxl import load_workbook

    with pytest.raises(Exception) as caught:  # noqa: B017 - openpyxl wraps the cause
        workbook = load_workbook(io.BytesIO(billion_laughs()), read_only=True)
        list(workbook.active.iter_rows(values_only=True))
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(e, EntitiesForbidden | DTDForbidden) for e in chain), chain


def test_guard_messages_are_bilingual() -> None:
    with pytest.raises(FileRejected) as caught:
        xlsx_guard.check_xlsx(huge_declared_size())
    assert "an toàn" in caught.value.error.reason_vi and "safety" in caught.value.error.reason_en
