"""What the annual report DAG runs (bcd35.operator.annual_report): after each publication the
report — page included — of the previous and current year, each only if it has figures."""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bcd35.operator.annual_report import default_years, write_reports, years_with_figures
from bcd35.report import ReportRefused
from bcd35.report.html import PAGE_NAME
from tests.unit.test_report_write import make_home


def test_default_years_are_previous_and_current_in_ham_yen_time():
    # 31 Dec 2024 20:00 UTC is already 1 Jan 2025 in Hàm Yên
    now = datetime(2024, 12, 31, 20, 0, tzinfo=ZoneInfo("UTC")).astimezone(
        ZoneInfo("Asia/Ho_Chi_Minh"))
    assert default_years(now) == [2024, 2025]


def test_writes_the_years_with_figures_and_skips_the_others(tmp_path):
    home = make_home(tmp_path / "home")
    assert years_with_figures(home, [2023, 2024, 2025]) == [2024]
    done = write_reports(home, [2025, 2024])
    assert [w["year"] for w in done["written"]] == [2024] and done["skipped"] == [2025]
    assert (home.exports / "2024" / PAGE_NAME).is_file()
    assert not (home.exports / "2025").exists()


def test_nothing_published_writes_nothing(tmp_path):
    from bcd35.config import Home

    home = Home(tmp_path / "empty").ensure()
    assert write_reports(home, [2024]) == {"written": [], "skipped": [2024], "withheld": []}


def test_a_build_that_failed_validation_is_refused(tmp_path):
    home = make_home(tmp_path / "home", success=False)
    with pytest.raises(ReportRefused):
        write_reports(home, [2024])
    assert not os.listdir(home.exports)


def test_a_withheld_year_is_not_rewritten_and_says_why(tmp_path):
    """The DAG says what `bcd35 run` said: the withheld year keeps its last report."""
    from bcd35.warehouse import published_build, read_manifest, write_manifest

    home = make_home(tmp_path / "home")
    assert write_reports(home, [2024])["written"]
    before = (home.exports / "2024" / PAGE_NAME).stat().st_mtime_ns
    build = published_build(home)
    manifest = read_manifest(build)
    manifest["validation"]["withheld"] = [{
        "committee_code": "ham_yen", "year": 2024, "checks": ["meeting_attendees_positive"],
        "messages": ["hoi_nghi.csv, dòng 2: 0 đại biểu / line 2: 0 attendees"]}]
    write_manifest(build, manifest)
    done = write_reports(home, [2024])
    assert done["written"] == [] and "hoi_nghi.csv, dòng 2" in done["withheld"][0]
    assert (home.exports / "2024" / PAGE_NAME).stat().st_mtime_ns == before
    with pytest.raises(ReportRefused, match="withheld"):
        from bcd35.report import write_report

        write_report(home, 2024, "ham_yen")
