"""Row parsing per kind: typed values, derived columns, and every bad cell named."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from bcd35.ingest import analyse
from bcd35.ingest.pipeline import Analysis
from bcd35.ingest.rows import ParseContext, link_norm, meta_period

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
CTX = ParseContext(max_year=2025)


def parse(name: str, ctx: ParseContext = CTX) -> Analysis:
    return analyse((FIXTURES / name).read_bytes(), ctx)


def records(name: str) -> list[dict[str, object]]:
    result = parse(name)
    assert list(result.errors) == []
    return [record for sheet in result.parsed for record in sheet.records]


def test_meeting_log_comma() -> None:
    result = parse("meeting_log_comma.csv")
    assert list(result.errors) == []
    [sheet] = result.parsed
    assert sheet.row_numbers == [2, 3, 4, 6]
    rows = sheet.records
    assert [r["ngay"] for r in rows] == [date(2024, 1, 5), date(2024, 2, 7), date(2024, 3, 15),
                                         date(2024, 3, 20)]
    assert [r["so_dai_bieu"] for r in rows] == [1250, 45, 60, 38]
    assert [r["ma_dvhc"] for r in rows] == ["074", "02419", "02374", "02422"]
    assert [r["loai_hoi_nghi"] for r in rows] == ["thong_tin_thoi_su", "bao_cao_vien",
                                                  "tap_huan", "so_ket_tong_ket"]
    assert rows[1]["xa_thi_tran"] == "Xã Thái Hoà"  # kept as delivered
    assert rows[1]["don_vi_to_chuc_norm"] == "đảng ủy xã thái hòa"
    assert rows[1]["ghi_chu"] == "Ghi chú, có dấu phẩy"
    assert rows[0]["chu_tri"] == "Đ/c Nguyễn Văn An" and rows[1]["chu_tri"] is None
    assert rows[0]["stt"] == "1"


def test_meeting_log_headers_and_values_without_diacritics() -> None:
    rows = records("meeting_log_semicolon_bom_no_diacritics.csv")
    assert [r["ma_dvhc"] for r in rows] == ["02419", "02398"]
    assert [r["loai_hoi_nghi"] for r in rows] == ["thong_tin_thoi_su", "bao_cao_vien"]
    assert [r["so_dai_bieu"] for r in rows] == [1020, 52]
    assert rows[0]["ngay"] == date(2024, 3, 12)


def test_meeting_log_below_a_title_row() -> None:
    result = parse("meeting_log_title_rows.csv")
    assert list(result.errors) == []
    assert result.parsed[0].row_numbers == [4]


def test_bad_cell_named_by_line_column_value() -> None:
    result = parse("meeting_log_bad_so_dai_bieu.csv")
    [error] = result.errors
    assert (error.line, error.column, error.value) == (4, "Số đại biểu", "một trăm")
    assert "số" in error.reason_vi.lower() and "number" in error.reason_en


def test_every_bad_value_is_reported() -> None:
    result = parse("meeting_log_bad_values.csv")
    found = {(e.line, e.column) for e in result.errors}
    assert found == {(2, "Ngày"), (3, "Ngày"), (4, "Xã/Thị trấn"), (5, "Loại hội nghị"),
                     (6, "Ngày"), (6, "Số đại biểu")}
    by_line = {(e.line, e.column): e for e in result.errors}
    assert "US" in by_line[(3, "Ngày")].reason_en
    assert "1924" in by_line[(6, "Ngày")].reason_en
    assert "Tân Yên" in by_line[(4, "Xã/Thị trấn")].reason_vi  # lists what is accepted


def test_plausible_year_follows_the_context() -> None:
    data = ("Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu\n"
            "05/01/2026,A,TTTS,B,Xã Hàm Yên,1\n").encode()
    assert analyse(data, ParseContext(max_year=2026)).errors == []
    late = analyse(data, ParseContext(max_year=2025)).errors
    assert [e.column for e in late] == ["Ngày"]


def test_required_value_missing() -> None:
    data = ("Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu\n"
            "05/01/2024,,TTTS,B,Huyện,1\n").encode()
    [error] = analyse(data, CTX).errors
    assert (error.line, error.column, error.value) == (2, "Tên hội nghị", "")
    assert "Empty" in error.reason_en


def test_unquoted_thousands_comma_shifts_cells_and_is_caught() -> None:
    [error] = parse("meeting_log_unquoted_comma_number.csv").errors
    assert error.line == 2 and error.value == "960"
    assert "7 cells" in error.reason_en


def test_xlsx_error_names_sheet_and_row() -> None:
    [error] = parse("meeting_log_bad_date.xlsx").errors
    assert (error.sheet, error.line, error.column, error.value) == \
        ("Hội nghị", 4, "Ngày", "31/02/2024")


def test_commendation_xlsx_with_title_rows() -> None:
    result = parse("commendation_title_rows.xlsx")
    assert list(result.errors) == []
    [sheet] = result.parsed  # the instructions sheet is ignored
    assert sheet.sheet == "Khen thưởng 2024"
    assert sheet.row_numbers == [5, 6, 7, 8, 9]
    rows = sheet.records
    assert [(r["hinh_thuc"], r["doi_tuong"]) for r in rows] == [
        ("khen_thuong", "tap_the")] * 3 + [("bieu_duong", "ca_nhan")] * 2
    assert {r["nam_thanh_tich"] for r in rows} == {2024}
    assert [r["ngay_quyet_dinh"] for r in rows] == [date(2024, 12, 20)] * 5
    assert rows[2]["so_quyet_dinh"] == "15"  # a number cell in a text column
    assert rows[3]["ten_norm"] == "nguyễn thị hòa"


def test_bulletin_issue_vietnamese_numbers_and_months() -> None:
    rows = records("bulletin_issue_vn_numbers.csv")
    assert [r["so_luong_in"] for r in rows] == [830, 9960]
    assert [r["thang_phat_hanh"] for r in rows] == [date(2024, 1, 1), date(2024, 2, 1)]
    assert rows[0]["kinh_phi"] == 12450000 and rows[1]["kinh_phi"] is None
    assert rows[0]["ngay_phat_hanh"] == date(2024, 1, 5)
    assert rows[0]["ten_an_pham_norm"] == "bản tin huyện hàm yên"


def test_workbook_with_two_kinds() -> None:
    result = parse("bulletin_two_sheets.xlsx")
    assert list(result.errors) == []
    issues, dist = result.parsed
    assert (issues.kind.name, dist.kind.name) == ("bulletin_issue", "bulletin_distribution")
    assert [r["thang_phat_hanh"] for r in issues.records] == [date(2024, 1, 1), date(2024, 2, 1)]
    assert [r["so_luong_in"] for r in issues.records] == [830, 830]
    assert dist.row_numbers == [2, 3, 5]  # the blank sheet row 4 is skipped, not renumbered
    assert [r["ma_dvhc"] for r in dist.records] == ["02377", None, "02377"]


def test_bulletin_distribution_csv() -> None:
    rows = records("bulletin_distribution.csv")
    assert [r["so_luong"] for r in rows] == [29, 1001]
    assert [r["ma_dvhc"] for r in rows] == ["02374", None]
    assert rows[1]["don_vi_nhan_norm"] == "ban tuyên giáo huyện ủy"


@pytest.mark.parametrize("name", ["collaborator_shares.csv", "collaborator_shares_utf16.csv"])
def test_collaborator_shares(name: str) -> None:
    rows = records(name)
    assert [r["nen_tang"] for r in rows] == ["facebook", "tiktok"]
    assert rows[0]["lien_ket"] == "https://www.facebook.com/share/p/abc123/"
    assert rows[0]["lien_ket_norm"] == "https://www.facebook.com/share/p/abc123"
    assert [r["luot_tiep_can"] for r in rows] == [1200, 2400]
    assert rows[1]["cong_tac_vien_norm"] == "lý văn cường"


def test_link_norm() -> None:
    assert link_norm(" https://zalo.me/s/1/ ") == "https://zalo.me/s/1"
    assert link_norm("https://zalo.me/s/1//") == "https://zalo.me/s/1"


def test_meta_posts_english_ui_month_first_and_blank_metrics() -> None:
    rows = records("meta_posts_english_ui.csv")
    assert [r["publish_time"] for r in rows] == [
        datetime(2024, 1, 15, 8, 30), datetime(2024, 12, 31, 20, 5), datetime(2024, 2, 3, 7, 0)]
    assert rows[0]["post_id"] == "1222273117266209296"
    assert rows[2]["post_id"] == "122158012345678901"
    assert rows[0]["page_id"] == "100083915622407"
    assert (rows[0]["reach"], rows[0]["views"], rows[0]["reactions_comments_shares"]) == \
        (1830, 2100, 55)
    blank = rows[1]
    assert [blank[c] for c in ("reach", "reactions", "comments", "shares", "views")] == \
        [None] * 5  # unknown, not 0
    assert rows[2]["views"] is None and rows[2]["comments"] == 0
    assert rows[0]["_period_start"] is None  # not a standard Meta file name


def test_meta_posts_vietnamese_ui_day_first() -> None:
    rows = records("meta_posts_vietnamese_ui.csv")
    assert [r["publish_time"] for r in rows] == [datetime(2024, 1, 15, 8, 30),
                                                 datetime(2024, 2, 3, 7, 0)]
    assert rows[0]["reach"] == 900


def test_meta_posts_lower_case_rcs_older_export() -> None:
    [row] = records("meta_posts_lowercase_rcs.csv")
    assert row["reactions_comments_shares"] == 6
    assert row["publish_time"] == datetime(2024, 3, 4, 9, 15)


def test_meta_period_from_the_standard_file_name() -> None:
    ctx = ParseContext(max_year=2025, file_name="Jan-01-2024_Mar-31-2024_4020743050215398.csv")
    result = parse("meta_posts_english_ui.csv", ctx)
    periods = {(r["_period_start"], r["_period_end"]) for r in result.parsed[0].records}
    assert periods == {(date(2024, 1, 1), date(2024, 3, 31))}


@pytest.mark.parametrize(("name", "expected"), [
    ("Dec-01-2023_Mar-31-2024_4020743050215398.csv", (date(2023, 12, 1), date(2024, 3, 31))),
    ("Jul-01-2024_Sep-30-2024_4066661398609504 (1).csv", (date(2024, 7, 1), date(2024, 9, 30))),
    ("Feb-30-2024_Mar-31-2024_1.csv", (None, None)),
    ("Mar-31-2024_Jan-01-2024_1.csv", (None, None)),
    ("posts_2024.csv", (None, None)),
])
def test_meta_period(name: str, expected: tuple[date | None, date | None]) -> None:
    assert meta_period(name) == expected


def test_meta_enotation_ids_are_errors_explaining_excel() -> None:
    errors = parse("meta_posts_enotation_ids.csv").errors
    assert {(e.line, e.column, e.value) for e in errors} == {
        (2, "Post ID", "1.22227E+18"), (2, "Page ID", "1.00084E+14")}
    assert all("Excel" in e.reason_en and "Re-export" in e.reason_en for e in errors)


def test_meta_number_ids_in_a_workbook_are_errors() -> None:
    [error] = parse("meta_posts_number_ids.xlsx").errors
    assert error.column == "Post ID" and "Excel" in error.reason_en


@pytest.mark.parametrize("bad_id", ["12345", "12345678901234567890", "1222273117266209296x"])
def test_meta_id_must_have_15_to_19_digits(bad_id: str) -> None:
    text = (FIXTURES / "meta_posts_english_ui.csv").read_text(encoding="utf-8-sig")
    data = text.replace("1222273117266209296", bad_id, 1).encode()
    errors = analyse(data, CTX).errors
    assert [(e.line, e.column, e.value) for e in errors] == [(2, "Post ID", bad_id)]


def test_meta_impossible_publish_time() -> None:
    [error] = parse("meta_posts_impossible_publish_time.csv").errors
    assert (error.line, error.column, error.value) == (3, "Publish time", "15/1/2024 8:30")
    assert "M/D/YYYY" in error.reason_en


def test_unknown_header_and_header_only_are_file_errors() -> None:
    unknown = parse("unknown_header_meeting_like.csv")
    assert unknown.kind_guess == "meeting_log"
    assert "Số đại biểu" in unknown.errors[0].reason_vi
    header_only = parse("commendation_header_only.csv")
    assert header_only.kind_guess == "commendation"
    assert "no data rows" in header_only.errors[0].reason_en
