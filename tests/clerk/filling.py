"""Fill the clerks' templates the way a clerk does (openpyxl: typed dates and numbers, choices
from the drop-down lists), and read Excel's data validation back out of a saved workbook."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_from_string, range_boundaries

from bcd35.clerk.templates import DATA_SHEET, EXCEL_2000_01_01

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "templates"

# One year of a small office, in 2025: the KPI each gives is in EXPECTED_KPIS.
ROWS: dict[str, list[tuple]] = {
    # Ngày, Tên hội nghị, Loại hội nghị, Đơn vị tổ chức, Xã/Thị trấn, Số đại biểu
    "meeting_log": [
        (datetime(2025, 1, 9), "Thông tin thời sự tháng 1", "Thông tin thời sự",
         "Ban Tuyên giáo", "Thị trấn Tân Yên", 110),
        (datetime(2025, 4, 10), "Thông tin thời sự quý II", "Thông tin thời sự",
         "Đảng ủy xã", "Xã Yên Thuận", 45),
        (datetime(2025, 5, 20), "Tập huấn báo cáo viên", "Tập huấn", "Ban Tuyên giáo",
         "Huyện", 60),
    ],
    # Năm thành tích, Hình thức, Đối tượng, Tên tập thể/cá nhân
    "commendation": [
        (2025, "Khen thưởng", "Tập thể", "Chi bộ thôn Làng Bát"),
        (2025, "Biểu dương", "Cá nhân", "Nguyễn Thị B"),
        (2025, "Biểu dương", "Tập thể", "Đoàn xã Phù Lưu"),
    ],
    # Tên ấn phẩm, Năm, Số, Tháng phát hành, Số lượng in
    "bulletin_issue": [
        ("Bản tin Sinh hoạt chi bộ", 2025, 1, datetime(2025, 1, 1), 800),
        ("Bản tin Sinh hoạt chi bộ", 2025, 2, datetime(2025, 2, 1), 830),
    ],
    # Tên ấn phẩm, Năm, Số, Đơn vị nhận, Số lượng
    "bulletin_distribution": [
        ("Bản tin Sinh hoạt chi bộ", 2025, 1, "Đảng ủy xã Yên Thuận", 500),
        ("Bản tin Sinh hoạt chi bộ", 2025, 1, "Đảng ủy thị trấn Tân Yên", 300),
        ("Bản tin Sinh hoạt chi bộ", 2025, 2, "Đảng ủy xã Yên Thuận", 830),
    ],
    # Ngày, Cộng tác viên, Đơn vị, Nền tảng, Liên kết chia sẻ, Lượt tiếp cận, Lượt tương tác
    "collaborator_shares": [
        (datetime(2025, 2, 3), "Trần Văn C", "Đoàn Thanh niên", "Facebook",
         "https://www.facebook.com/share/p/1001", 300, 20),
        (datetime(2025, 2, 4), "Lê Thị D", "Hội Phụ nữ", "Zalo",
         "https://zalo.me/s/1002", 150, 12),
    ],
}

EXPECTED_KPIS = {
    "hoi_nghi_thong_tin_thoi_su": 2,
    "hoi_nghi_tong_so": 3,
    "luot_dai_bieu": 215,
    "ban_tin_so_ky": 2,
    "ban_tin_so_cuon": 1630,
    "ctv_tin_bai_chia_se": 2,
    "ctv_luot_tiep_can_tuong_tac": 482,
    "khen_thuong_tap_the": 1,
    "bieu_duong_ca_nhan": 1,
}


def fill(template: Path, rows: list[tuple], target: Path) -> Path:
    """Type ``rows`` into the data sheet from row 2, one value per column in order."""
    wb = load_workbook(template)
    ws = wb[DATA_SHEET]
    for offset, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            ws.cell(row=offset, column=column, value=value)
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def _covers(sqref: str, coordinate: str) -> bool:
    letters, row = coordinate_from_string(coordinate)
    from openpyxl.utils import column_index_from_string

    col = column_index_from_string(letters)
    for part in sqref.split():
        min_col, min_row, max_col, max_row = range_boundaries(part)
        if min_col <= col <= max_col and min_row <= row <= max_row:
            return True
    return False


def _list_values(wb, formula: str) -> list[object]:
    sheet, _, area = formula.rpartition("!")
    ws = wb[sheet.strip("'")]
    return [cell.value for row in ws[area.replace("$", "")] for cell in row]


def excel_refuses(path: Path, coordinate: str, value: object) -> bool | None:
    """Would Excel refuse ``value`` typed into ``coordinate`` of the data sheet, by the data
    validation saved in the file? ``None`` when no validation covers the cell."""
    wb = load_workbook(path)
    ws = wb[DATA_SHEET]
    found = [v for v in ws.data_validations.dataValidation if _covers(str(v.sqref), coordinate)]
    if not found:
        return None
    [rule] = found
    assert rule.showErrorMessage and rule.errorStyle in (None, "stop")  # stop = refuse
    if rule.type == "list":
        return value not in _list_values(wb, rule.formula1)
    if rule.type == "whole":
        if not isinstance(value, int) or isinstance(value, bool):
            return True
        low = int(rule.formula1)
        if rule.operator == "between":
            return not low <= value <= int(rule.formula2)
        assert rule.operator == "greaterThanOrEqual"
        return value < low
    if rule.type == "date":
        if not isinstance(value, date):
            return True
        serial = (value.toordinal() - date(1899, 12, 30).toordinal())
        assert int(rule.formula1) == EXCEL_2000_01_01
        return serial < int(rule.formula1)
    raise AssertionError(f"unexpected validation {rule.type}")
