"""The office's reference data in the home (bcd35.home_reference): targets and pages are
validated like any input — a bad row is refused with file, line, column, value and reason in
Vietnamese and English, and the other rows are kept. Fixtures are named for their fault."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from bcd35.config import resolve_home
from bcd35.fingerprint import build_fingerprint
from bcd35.home_reference import read_home_reference, write_for_dbt

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "home_reference"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BCD35_PSEUDONYM_KEY", "unit-test-key")
    h = resolve_home(tmp_path / "home").ensure()
    (h.root / "reference").mkdir()
    return h


def _drop(home, fixture: str, name: str) -> Path:
    target = home.root / "reference" / name
    shutil.copy(FIXTURES / fixture, target)
    return target


def test_valid_targets_are_read_with_vietnamese_numbers(home):
    _drop(home, "kpi_targets_2023_valid.csv", "kpi_targets.csv")
    ref = read_home_reference(home)
    assert ref.problems == []
    assert [(t["committee_code"], t["year"], t["kpi_code"], t["target"]) for t in ref.targets] \
        == [("ham_yen", 2023, "hoi_nghi_thong_tin_thoi_su", 90.0),
            ("ham_yen", 2023, "ban_tin_so_cuon", 9500.0)]


def test_unknown_kpi_code_is_refused_and_the_other_rows_kept(home):
    _drop(home, "kpi_targets_line3_unknown_kpi_code.csv", "kpi_targets.csv")
    ref = read_home_reference(home)
    assert [t["kpi_code"] for t in ref.targets] == ["hoi_nghi_thong_tin_thoi_su",
                                                    "ban_tin_so_cuon"]
    [problem] = ref.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "reference/kpi_targets.csv", 3, "kpi_code", "so_hoi_nghi_sai_ma")
    text = problem.render()
    assert "Mã chỉ tiêu không có trong danh mục" in text and "Unknown KPI code" in text


def test_unknown_committee_is_refused(home):
    _drop(home, "kpi_targets_line2_unknown_committee.csv", "kpi_targets.csv")
    ref = read_home_reference(home)
    assert ref.targets == []
    [problem] = ref.problems
    assert (problem.line, problem.column, problem.value) == (2, "committee_code", "bcd_khong_co")
    assert "Unknown committee code" in problem.reason_en and "ham_yen" in problem.reason_en


def test_negative_target_and_impossible_year_are_refused(home):
    _drop(home, "kpi_targets_negative_target_and_bad_year.csv", "kpi_targets.csv")
    ref = read_home_reference(home)
    assert ref.targets == []
    assert [(p.line, p.column, p.value) for p in ref.problems] == [
        (2, "target", "-12"), (3, "year", "20233")]


def test_a_file_without_the_year_column_is_refused_whole(home):
    _drop(home, "kpi_targets_missing_year_column.csv", "kpi_targets.csv")
    ref = read_home_reference(home)
    assert ref.targets == []
    [problem] = ref.problems
    assert problem.line == 1 and problem.column == "year"
    assert "committee_code,year,kpi_code,target" in problem.reason_en


def test_targets_are_read_from_xlsx_too(home):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Kế hoạch năm 2023"])  # a title row above the header is not allowed here
    book.remove(sheet)
    sheet = book.create_sheet("kpi_targets")
    sheet.append(["committee_code", "year", "kpi_code", "target"])
    sheet.append(["ham_yen", 2023, "ban_tin_so_ky", 12])
    sheet.append(["ham_yen", 2023, "khong_co_ma_nay", 1])
    book.save(home.root / "reference" / "kpi_targets.xlsx")
    ref = read_home_reference(home)
    assert [(t["kpi_code"], t["target"]) for t in ref.targets] == [("ban_tin_so_ky", 12.0)]
    assert [(p.file, p.line, p.column) for p in ref.problems] == [
        ("reference/kpi_targets.xlsx", 3, "kpi_code")]


def test_pages_lost_id_and_impossible_date_are_refused(home):
    _drop(home, "pages_line2_excel_id_line4_impossible_date.csv", "pages.csv")
    ref = read_home_reference(home)
    assert [(p["page_id"], p["is_committee_page"]) for p in ref.pages] == [
        ("100083915622407", True)]
    assert [(p.line, p.column) for p in ref.problems] == [(2, "page_id"),
                                                          (4, "confirmed_date")]
    assert "Excel" in ref.problems[0].reason_en


def test_dbt_copies_hold_only_valid_rows_and_the_report_the_refused_ones(home):
    _drop(home, "kpi_targets_line3_unknown_kpi_code.csv", "kpi_targets.csv")
    env, _ = write_for_dbt(home)
    with open(env["BCD35_KPI_TARGETS_CSV"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["kpi_code"] for r in rows] == ["hoi_nghi_thong_tin_thoi_su", "ban_tin_so_cuon"]
    with open(env["BCD35_PAGES_CSV"], encoding="utf-8") as fh:
        assert fh.read().strip() == ("page_id,page_name,is_committee_page,confirmed_by,"
                                     "confirmed_date,source_line,_loaded_at")
    report = json.loads((home.dbt / "home_reference.json").read_text(encoding="utf-8"))
    assert report["n_targets"] == 2 and report["problems"][0]["line"] == 3


def test_the_office_files_are_part_of_the_build_fingerprint(home):
    before = build_fingerprint(home, "ham_yen")
    _drop(home, "kpi_targets_2023_valid.csv", "kpi_targets.csv")
    with_targets = build_fingerprint(home, "ham_yen")
    _drop(home, "pages_line2_excel_id_line4_impossible_date.csv", "pages.csv")
    assert len({before, with_targets, build_fingerprint(home, "ham_yen")}) == 3
