"""Communes by the date of the row (docs/formats.md#communes): before 1 July 2025 the 18
pre-2025 units and the district, from that day the 8 new xã; ``Xã Hàm Yên`` is the new xã,
never the district."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import pytest

from bcd35 import reference
from bcd35.config import REFERENCE_DIR
from bcd35.ingest import analyse
from bcd35.ingest.rows import ParseContext
from bcd35.vietnamese import VnParseError

LAST_OLD_DAY, FIRST_NEW_DAY = date(2025, 6, 30), date(2025, 7, 1)
CTX = ParseContext(max_year=2026)
HEADER = "Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu\n"


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _refused(text: str, **when: object) -> VnParseError:
    with pytest.raises(VnParseError) as caught:
        reference.resolve_commune(text, **when)  # type: ignore[arg-type]
    return caught.value


# --- the boundary day ------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Xã Hàm Yên", "xã hàm yên", "Xa Ham Yen", "Hàm Yên"])
@pytest.mark.parametrize("day", [FIRST_NEW_DAY, date(2025, 8, 15), date(2026, 3, 2)])
def test_ham_yen_from_1_july_2025_is_the_new_xa(text: str, day: date) -> None:
    assert reference.resolve_commune(text, day=day) == "02374"


def test_xa_ham_yen_on_the_last_day_before_is_refused_naming_what_it_was() -> None:
    error = _refused("Xã Hàm Yên", day=LAST_OLD_DAY)
    assert "xã mới, chỉ có từ ngày 01/07/2025" in error.reason_vi
    assert "(dòng ngày 30/06/2025)" in error.reason_vi
    for old in ("Thị trấn Tân Yên", "Xã Tân Thành", "Xã Nhân Mục", "Xã Bằng Cốc"):
        assert old in error.reason_vi and old in error.reason_en
    assert "is a new xã, in force only from 01/07/2025" in error.reason_en


def test_the_district_is_the_district_before_and_gone_from_1_july() -> None:
    for text in ("Huyện", "Cấp huyện", "Huyện Hàm Yên", "Hàm Yên"):
        assert reference.resolve_commune(text, day=LAST_OLD_DAY) == "074", text
    for text in ("Huyện", "Cấp huyện", "Huyện Hàm Yên"):
        error = _refused(text, day=FIRST_NEW_DAY)
        assert "cấp huyện không còn từ ngày 01/07/2025" in error.reason_vi
        assert "Xã Hàm Yên" in error.reason_vi and "district level no longer" in error.reason_en


def test_a_xa_prefix_never_names_the_district() -> None:
    """Before the change "Xã Hàm Yên" was silently the district (074); now it is refused."""
    assert reference.commune_code("Xã Hàm Yên") is None
    assert reference.commune_code("Xa Ham Yen") is None
    assert reference.commune_code("Hàm Yên") == "074"


# --- every unit, both lists ------------------------------------------------------------------

def test_every_old_unit_until_30_june_and_refused_from_1_july_naming_its_new_xa() -> None:
    merger = {row["commune_code"]: row for row in _rows("commune_merger_2025.csv")}
    units = [row for row in _rows("communes.csv") if row["loai_dvhc"] != "Huyện"]
    assert len(units) == 18 and set(merger) == {row["ma_dvhc"] for row in units}
    for row in units:
        typed = f"{row['loai_dvhc']} {row['ten_dvhc']}"
        assert reference.resolve_commune(typed, day=LAST_OLD_DAY) == row["ma_dvhc"], typed
        new = merger[row["ma_dvhc"]]
        new_label = f"Xã {new['commune_name_2025_vi']}"
        if new["commune_name_2025_vi"] == row["ten_dvhc"] and row["loai_dvhc"] == "Xã":
            # the unit gave its name (and code) to the new xã: the name is the new xã
            assert reference.resolve_commune(typed, day=FIRST_NEW_DAY) == new["commune_code_2025"]
            continue
        error = _refused(typed, day=FIRST_NEW_DAY)
        assert f"đã nhập vào {new_label}" in error.reason_vi, typed
        assert f"part of {new_label}" in error.reason_en, typed


def test_every_new_xa_from_1_july_by_its_code_of_the_reference_data() -> None:
    merger = _rows("commune_merger_2025.csv")
    new = {row["commune_code_2025"]: row["commune_name_2025_vi"] for row in merger}
    assert len(new) == 8
    for code, name in new.items():
        for typed in (f"Xã {name}", name):
            assert reference.resolve_commune(typed, day=FIRST_NEW_DAY) == code, typed
    assert reference.communes_2025().labels == tuple(
        f"Xã {new[code]}" for code in sorted(new))


def test_an_unknown_name_lists_the_units_in_force_that_day() -> None:
    before = _refused("Xã Hư Cấu", day=LAST_OLD_DAY)
    after = _refused("Xã Hư Cấu", day=FIRST_NEW_DAY)
    assert "'Xã Hư Cấu' không có trong danh mục Xã/Thị trấn (dòng ngày 30/06/2025)" in \
        before.reason_vi
    assert "Xã Minh Dân" in before.reason_vi and "Xã Hàm Yên" not in before.reason_vi
    assert "Xã Hàm Yên" in after.reason_vi and "Xã Minh Dân" not in after.reason_vi
    assert "is not a known Xã/Thị trấn value (a line dated 01/07/2025)" in after.reason_en


# --- registers with a year, not a date (bulletin distribution) --------------------------------

def test_by_year_the_old_list_the_new_list_and_both_in_2025() -> None:
    assert reference.resolve_commune("Xã Minh Dân", year=2024) == "02389"
    assert "đã nhập vào Xã Phù Lưu" in _refused("Xã Minh Dân", year=2026).reason_vi
    assert "xã mới" in _refused("Xã Hàm Yên", year=2024).reason_vi
    assert reference.resolve_commune("Xã Hàm Yên", year=2026) == "02374"
    # 2025 has both lists: a name in either is accepted ...
    assert reference.resolve_commune("Xã Minh Dân", year=2025) == "02389"
    assert reference.resolve_commune("Xã Hàm Yên", year=2025) == "02374"
    assert reference.resolve_commune("Huyện", year=2025) == "074"
    # ... but a name the two lists read differently is ambiguous
    error = _refused("Hàm Yên", year=2025)
    assert "có hai nghĩa" in error.reason_vi and "«Huyện»" in error.reason_vi
    assert "«Xã Hàm Yên»" in error.reason_vi and "two meanings" in error.reason_en


# --- the date comes from the reference data ---------------------------------------------------

def test_the_effective_date_is_read_from_the_merger_reference(tmp_path: Path) -> None:
    """Planted fault: a reference folder whose arrangement takes effect on 1 August."""
    shutil.copytree(REFERENCE_DIR, tmp_path / "reference")
    merger = tmp_path / "reference" / "commune_merger_2025.csv"
    merger.write_text(merger.read_text(encoding="utf-8").replace("2025-07-01", "2025-08-01"),
                      encoding="utf-8")
    folder = tmp_path / "reference"
    assert reference.resolve_commune("Xã Hàm Yên", day=date(2025, 7, 15)) == "02374"
    with pytest.raises(VnParseError, match="chỉ có từ ngày 01/08/2025"):
        reference.resolve_commune("Xã Hàm Yên", day=date(2025, 7, 15), reference_dir=folder)
    assert reference.resolve_commune("Xã Hàm Yên", day=date(2025, 8, 1),
                                     reference_dir=folder) == "02374"


# --- in a file: the row's own date decides ----------------------------------------------------

AUGUST_2025 = (HEADER
               + "15/08/2025,Thông tin thời sự tháng 8,TTTS,Đảng ủy xã Hàm Yên,Xã Hàm Yên,60\n"
               + "30/06/2025,Thông tin thời sự quý II,TTTS,Đảng ủy xã Tân Thành,"
               + "Xã Tân Thành,40\n"
               + "01/07/2025,Thông tin thời sự tháng 7,TTTS,Đảng ủy xã Phù Lưu,Xã Phù Lưu,55\n")


@pytest.mark.parametrize("columnar", [False, True])
def test_a_file_of_august_2025_codes_xa_ham_yen_as_the_commune(columnar: bool) -> None:
    result = analyse(AUGUST_2025.encode(), CTX, columnar=columnar)
    assert list(result.errors) == []
    [sheet] = result.parsed
    assert [r["ma_dvhc"] for r in sheet.records] == ["02374", "02401", "02392"]


def test_a_file_naming_units_of_the_wrong_side_of_1_july_names_line_column_value() -> None:
    data = (HEADER
            + "30/06/2025,Thông tin thời sự quý II,TTTS,Đảng ủy xã Hàm Yên,Xã Hàm Yên,60\n"
            + "01/07/2025,Thông tin thời sự tháng 7,TTTS,Đảng ủy xã Minh Dân,Xã Minh Dân,40\n"
            + "02/07/2025,Sơ kết 6 tháng,Sơ kết tổng kết,Ban Tuyên giáo,Huyện,90\n"
            + "03/07/2025,Thông tin thời sự tháng 7,TTTS,Đảng ủy xã Phù Lưu,Xã Phù Lưu,55\n")
    errors = analyse(data.encode(), CTX).errors
    assert [(e.line, e.column, e.value) for e in errors] == [
        (2, "Xã/Thị trấn", "Xã Hàm Yên"), (3, "Xã/Thị trấn", "Xã Minh Dân"),
        (4, "Xã/Thị trấn", "Huyện")]
    assert "xã mới" in errors[0].reason_vi
    assert "Xã Phù Lưu" in errors[1].reason_vi and "cấp huyện" in errors[2].reason_vi


def test_a_distribution_register_resolves_by_its_year() -> None:
    header = "Tên ấn phẩm,Năm,Số,Đơn vị nhận,Số lượng,Xã/Thị trấn\n"
    data = (header
            + "Bản tin,2026,1,Đảng ủy xã Hàm Yên,30,Xã Hàm Yên\n"
            + "Bản tin,2026,1,Đảng ủy xã Minh Dân,20,Xã Minh Dân\n"
            + "Bản tin,2025,1,Đảng ủy xã Minh Dân,20,Xã Minh Dân\n"
            + "Bản tin,2025,1,Huyện ủy,20,Hàm Yên\n")
    result = analyse(data.encode(), CTX)
    assert [(e.line, e.value) for e in result.errors] == [(3, "Xã Minh Dân"), (5, "Hàm Yên")]
    [sheet] = result.parsed
    assert [r["ma_dvhc"] for r in sheet.records] == ["02374", None, "02389", None]
