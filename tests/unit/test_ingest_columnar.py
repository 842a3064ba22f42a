"""Column-by-column parsing gives exactly the row parser's raw rows and quarantine messages.

Every CSV/XLSX under tests/fixtures, the demo inbox and the benchmark's generated inbox (small)
are analysed both ways; accepted files must give the same row numbers, records and raw Parquet
(provenance included), quarantined files the same errors, word for word. Both column paths are
compared: the per-distinct-value one (short columns) and Arrow's column expressions (forced by
``COLUMN_EXPRESSIONS_FROM = 0``). A property test does the same over generated files with valid
and invalid cells.
"""

from __future__ import annotations

import io
import os
import shutil
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bcd35.config import DEMO_INBOX, Home
from bcd35.ingest import analyse, columnar, ingest_inbox
from bcd35.ingest.pipeline import Analysis
from bcd35.ingest.raw import Provenance, RawRows
from bcd35.ingest.raw import raw_table as make_raw_table
from bcd35.ingest.rows import ParseContext
from bench import generate

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
NOW = datetime(2025, 3, 1, 2, 30)


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and p.suffix.lower() in (".csv", ".xlsx") and not p.name.startswith("."))


def bench_inbox() -> Path:
    return generate.cached("small") / "inbox"


def context(path: Path) -> ParseContext:
    return ParseContext(max_year=2025, file_name=path.name)


def raw_table(tmp_path: Path, analysis: Analysis, tag: str) -> object:
    """The raw table ``_stage`` makes of the file (every sheet of its first kind)."""
    sheets = [s for s in analysis.parsed if s.kind is analysis.parsed[0].kind]
    parts = [RawRows(s.sheet, s.row_numbers, s.records, s.table) for s in sheets]
    prov = Provenance("ham_yen", "f" * 64, NOW, 7)
    path = tmp_path / f"{tag}.pq"  # through Parquet, as a pack stores it
    pq.write_table(make_raw_table(sheets[0].kind, parts, prov), path)
    return pq.read_table(path)


def differences(rows: Analysis, columns: Analysis) -> list[str]:
    """What differs between the row parser's analysis and the column parser's."""
    found = []
    for name in ("errors", "kind_guess", "data_rows", "rejected_rows"):
        if getattr(rows, name) != getattr(columns, name):
            found.append(f"{name}: {getattr(rows, name)!r} != {getattr(columns, name)!r}")
    if len(rows.parsed) != len(columns.parsed):
        return [*found, f"sheets: {len(rows.parsed)} != {len(columns.parsed)}"]
    if rows.errors:
        return found
    for a, b in zip(rows.parsed, columns.parsed, strict=True):
        if (a.sheet, a.kind, a.row_numbers, a.headers) != (b.sheet, b.kind, b.row_numbers,
                                                         b.headers):
            found.append(f"sheet {a.sheet}: numbering or headers differ")
        for number, x, y in zip(a.row_numbers, a.records, b.records, strict=True):
            if x != y or [type(v) for v in x.values()] != [type(y[k]) for k in x]:
                found.append(f"row {number}: {x} != {y}")
                break
    return found


def compare(path: Path, tmp_path: Path) -> bool:
    """Assert both ways agree on ``path``; True when the column parser accepted it."""
    data = path.read_bytes()
    rows = analyse(data, context(path))
    columns = analyse(data, context(path), columnar=True)
    assert differences(rows, columns) == [], path
    if rows.errors:
        return False
    assert raw_table(tmp_path, rows, "rows").equals(raw_table(tmp_path, columns, "columns")), path
    return all(sheet.table is not None for sheet in columns.parsed)


@pytest.fixture(params=["distinct", "expressions"])
def column_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "expressions":
        monkeypatch.setattr(columnar, "COLUMN_EXPRESSIONS_FROM", 0)
    return request.param


def test_every_fixture_reads_the_same_both_ways(column_path: str, tmp_path: Path) -> None:
    files = files_under(FIXTURES)
    assert len(files) > 40
    accepted = [path.name for path in files if compare(path, tmp_path)]
    # the comparison means something only if the column parser accepted the clean files
    for clean in ("meeting_log_comma.csv", "meta_posts_english_ui.csv",
                  "meta_posts_utf16_tab.csv", "bulletin_issue_vn_numbers.csv",
                  "collaborator_shares_windows1258.csv", "commendation_title_rows.xlsx",
                  "bulletin_two_sheets.xlsx", "meeting_log_excel_cells_merged_title.xlsx"):
        assert clean in accepted


def test_the_demo_inbox_reads_the_same_both_ways(column_path: str, tmp_path: Path) -> None:
    files = files_under(Path(DEMO_INBOX))
    accepted = [path for path in files if compare(path, tmp_path)]
    assert len(accepted) >= len(files) - 2  # two demo files carry a fault on purpose


def test_the_benchmark_inbox_reads_the_same_both_ways(column_path: str,
                                                       tmp_path: Path) -> None:
    files = files_under(bench_inbox())
    assert files
    assert [path.name for path in files if not compare(path, tmp_path)] == []


def test_the_comparison_sees_a_wrong_value(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    """Planted fault: a derived column computed wrongly by the column parser is caught."""
    path = FIXTURES / "ingest" / "meeting_log_comma.csv"
    rows = analyse(path.read_bytes(), context(path))
    wrong = dict(columnar.DERIVATIONS)
    wrong["meeting_log"] = tuple(d._replace(derive=str.upper) if d.target.endswith("_norm")
                                 else d for d in wrong["meeting_log"])
    monkeypatch.setattr(columnar, "DERIVATIONS", wrong)
    columns = analyse(path.read_bytes(), context(path), columnar=True)
    assert differences(rows, columns)
    assert not raw_table(tmp_path, rows, "rows").equals(raw_table(tmp_path, columns, "c"))


def test_quarantine_reports_are_unchanged(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole ingestion of every fixture with and without the column parser: the same
    loaded and quarantined files, the same reports and raw files, byte for byte."""
    outcomes = {}
    for flag in ("0", "1"):
        monkeypatch.setenv("BCD35_COLUMNAR_INGEST", flag)
        monkeypatch.setenv("BCD35_INGEST_WORKERS", "1")
        home = Home(tmp_path / f"home{flag}")
        home.inbox.mkdir(parents=True)
        for path in files_under(FIXTURES / "ingest"):
            shutil.copyfile(path, home.inbox / path.name)
        result = ingest_inbox(home, "ham_yen", now=NOW)
        reports = {p.relative_to(home.quarantine).as_posix(): p.read_bytes()
                   for p in sorted(home.quarantine.rglob("*")) if p.is_file()}
        raw = {p.relative_to(home.raw).as_posix(): pq.read_table(p)
               for p in sorted(home.raw.rglob("*.parquet"))}
        outcomes[flag] = (sorted((f.original_path, f.rows, f.reason, f.error_count)
                                 for f in result.loaded + result.quarantined), reports, raw)
    (files0, reports0, raw0), (files1, reports1, raw1) = outcomes["0"], outcomes["1"]
    assert files0 == files1
    assert len(reports0) > 10 and reports0 == reports1
    assert raw0.keys() == raw1.keys() and all(raw0[k].equals(raw1[k]) for k in raw0)
    assert os.environ["BCD35_COLUMNAR_INGEST"] == "1"


# --------------------------------------------------------------------------------------------
# Generated files
# --------------------------------------------------------------------------------------------

settings.register_profile("bcd35", deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("bcd35")

COUNTS = ["830", "9.960", "12.450.000", "0", "007", " 12 ", "9,96", "9.96", "1.2345", "-3",
          "abc", "", "\u00a045", "45\u200b", "１２"]
DATES = ["05/03/2024", "5/3/2024", "2024-03-05", "31/02/2024", "12/31/2024", "05/03/24",
         "05/03/1999", "05/03/2031", "", "  05/03/2024", "05/03/2024 00:00", "hôm qua"]
COMMUNES = ["Tân Yên", "Xã Yên Thuận", "xa yen thuan", "Huyện", "Thị trấn Tân Yên", "Mars", ""]
KINDS_OF_MEETING = ["Thông tin thời sự", "Báo cáo viên", "tap huan", "Hội nghị lạ", ""]
TEXTS = ["Hội nghị báo cáo viên", "Hoi nghi", "  Hội nghị  ", "Há»™i nghá»‹", "HỘI NGHỊ",
         unicodedata.normalize("NFD", "Hội nghị Thái Hoà"), "=1+1", "a\tb", "Đảng ủy", "x", ""]


@st.composite
def meeting_log(draw: st.DrawFn) -> bytes:
    header = ["Ngày", "Tên hội nghị", "Loại hội nghị", "Đơn vị tổ chức", "Xã/Thị trấn",
              "Số đại biểu", "Ghi chú"]
    delimiter = draw(st.sampled_from([",", ";"]))
    lines = [delimiter.join(header)]
    valid = draw(st.booleans())  # half the files keep to valid cells: the column path runs
    for _ in range(draw(st.integers(1, 12))):
        if valid:
            row = [draw(st.sampled_from(DATES[:3])), draw(st.sampled_from(TEXTS[:3] + TEXTS[4:6])),
                   draw(st.sampled_from(KINDS_OF_MEETING[:3])),
                   draw(st.sampled_from(TEXTS[:2] + TEXTS[8:10])),
                   draw(st.sampled_from(COMMUNES[:5])), draw(st.sampled_from(COUNTS[:6])),
                   draw(st.sampled_from(["", "ghi chú", " x "]))]
        else:
            row = [draw(st.sampled_from(DATES)), draw(st.sampled_from(TEXTS)),
                   draw(st.sampled_from(KINDS_OF_MEETING)), draw(st.sampled_from(TEXTS)),
                   draw(st.sampled_from(COMMUNES)), draw(st.sampled_from(COUNTS)),
                   draw(st.sampled_from(["", "ghi chú", "1;2", "a,b"]))]
            row = row[:draw(st.integers(4, 7))] + draw(st.sampled_from([[], [""], ["x"]]))
        lines.append(delimiter.join(f'"{cell}"' if delimiter in cell else cell for cell in row))
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
    return ("\n".join(lines) + "\n").encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


@given(data=meeting_log(), expressions=st.booleans())
def test_generated_files_read_the_same_both_ways(data: bytes, expressions: bool,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "COLUMN_EXPRESSIONS_FROM", 0 if expressions else 2_000)
    ctx = ParseContext(max_year=2025, file_name="hoi_nghi.csv")
    rows = analyse(data, ctx)
    assert differences(rows, analyse(data, ctx, columnar=True)) == []


def test_clean_workbooks_are_read_by_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The column path reads a clean workbook without openpyxl (planted: openpyxl broken)."""
    import openpyxl

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("openpyxl must not be needed for a clean workbook")

    monkeypatch.setattr(openpyxl, "load_workbook", broken)
    path = FIXTURES / "ingest" / "bulletin_two_sheets.xlsx"
    analysis = analyse(path.read_bytes(), context(path), columnar=True)
    assert analysis.errors == [] and len(analysis.parsed) == 2
    assert all(sheet.table is not None for sheet in analysis.parsed)


XLSX_CELLS = st.one_of(
    st.none(), st.sampled_from(COUNTS + DATES + COMMUNES + TEXTS),
    st.integers(-5, 3_000_000), st.floats(-10, 1e6, allow_nan=False), st.booleans(),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2030, 12, 31)).map(
        lambda d: d.replace(microsecond=0)))


@st.composite
def bulletin_workbook(draw: st.DrawFn) -> bytes:
    """A workbook of bulletin issues: title rows, valid rows, now and then any cell at all."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = draw(st.sampled_from(["Sổ xuất bản", "Sheet1"]))
    # the table may start below row 1 and right of column A: rows are numbered from A1
    left: list[object] = [None] * draw(st.integers(0, 2))
    for _ in range(draw(st.integers(0, 2))):
        sheet.append([])
    for _ in range(draw(st.integers(0, 2))):
        sheet.append([*left, "SỔ XUẤT BẢN BẢN TIN"])
    sheet.append([*left, "Tên ấn phẩm", "Năm", "Số", "Tháng phát hành", "Số lượng in",
                  "Ngày phát hành", "Ghi chú"])
    for number in range(1, draw(st.integers(1, 10)) + 1):
        names = ["Bản tin BCĐ 35", "Bản tin  số đặc biệt"]
        months = [datetime(2024, 3, 1), "03/2024", date(2024, 5, 1)]
        row: list[object] = [draw(st.sampled_from(names)),
                             draw(st.sampled_from([2024, "2024", 2024.0])), number,
                             draw(st.sampled_from(months)),
                             draw(st.sampled_from([800, "1.200", 650.0])),
                             draw(st.sampled_from([None, datetime(2024, 3, 5), "05/03/2024"])),
                             draw(st.sampled_from([None, "ghi chú", 5]))]
        if draw(st.integers(0, 3)) == 0:
            row[draw(st.integers(0, 6))] = draw(XLSX_CELLS)
        sheet.append([*left, *row])
        if draw(st.integers(0, 7)) == 0:
            sheet.append([])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@given(data=bulletin_workbook(), expressions=st.booleans())
def test_generated_workbooks_read_the_same_both_ways(data: bytes, expressions: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "COLUMN_EXPRESSIONS_FROM", 0 if expressions else 2_000)
    ctx = ParseContext(max_year=2025, file_name="ban_tin.xlsx")
    rows = analyse(data, ctx)
    assert differences(rows, analyse(data, ctx, columnar=True)) == []
