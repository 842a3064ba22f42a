"""Communes after 1 July 2025, through a real night (ingest, dbt, checks, publish): a meeting of
August 2025 at ``Xã Hàm Yên`` is the new xã (not the district), the 2025 figures by xã add
the old units of the first half-year to the new xã of the second (docs/analyst.md#communes),
and a xã's own committee is a committee like any other (docs/operator.md#committees)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support import FIXTURES, REPO, bcd35, published_target

GOOD = "meeting_log_2025_old_units_to_june_new_communes_from_july.csv"
BAD = "meeting_log_2025_line3_xa_ham_yen_dated_30_june.csv"
OWN = "meeting_log_2025_commune_committee_xa_ham_yen_own_meetings.csv"


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("communes") / "home"
    (home / "inbox").mkdir(parents=True)
    for name in (GOOD, BAD):
        shutil.copy(FIXTURES / name, home / "inbox" / name)
    # the new xã's own steering committee, listed in the home, its files in its folder
    (home / "committees.csv").write_text(
        "committee_code,name_vi\nxa_ham_yen,Ban Chỉ đạo 35 xã Hàm Yên\n", encoding="utf-8")
    (home / "inbox" / "xa_ham_yen").mkdir()
    shutil.copy(FIXTURES / OWN, home / "inbox" / "xa_ham_yen" / OWN)
    run = bcd35(home, "run")
    assert run.returncode == 4, run.stdout + run.stderr  # published, one file quarantined
    assert f"! {BAD}: " in run.stdout
    return home


def _rows(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(published_target(home)), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_an_august_2025_meeting_at_xa_ham_yen_is_the_new_xa(night: Path):
    rows = _rows(night, """
        select meeting_date, commune_code, is_2025_commune, commune_code_2025
        from marts.fct_meetings where committee_code = 'ham_yen' order by meeting_date""")
    by_day = {str(day): rest for day, *rest in rows}
    assert by_day["2025-08-15"] == ["02374", True, "02374"]  # Xã Hàm Yên, not 074
    assert by_day["2025-01-14"] == ["02374", False, "02374"]  # Thị trấn Tân Yên, same code
    assert by_day["2025-03-20"] == ["02410", False, "02374"]  # Nhân Mục → Hàm Yên
    assert by_day["2025-06-30"] == ["074", False, None]  # the district, up to 30 June
    assert by_day["2025-07-01"] == ["02392", True, "02392"]  # Phù Lưu, from 1 July
    [(name, valid_from)] = _rows(night, """
        select communes.commune_name_2025_vi, communes.valid_from
        from marts.fct_meetings as meetings
        inner join marts.dim_commune_2025 as communes
            on meetings.commune_code_2025 = communes.commune_code_2025
        where meetings.meeting_date = '2025-08-15' and meetings.committee_code = 'ham_yen'""")
    assert (name, str(valid_from)) == ("Hàm Yên", "2025-07-01")


def test_the_2025_figures_by_xa_add_old_units_and_new_xa(night: Path):
    analyst = (REPO / "docs" / "analyst.md").read_text(encoding="utf-8")
    [query] = [q for q in re.findall(r"```sql\n(.*?)```", analyst, re.DOTALL)
               if "mart_meetings_by_commune" in q]  # the page's own query
    rows = {code: (name, before, after, total)
            for code, name, before, after, total in _rows(
                night, query.replace("where year = 2025", "where year = 2025 "
                                     "and committee_code = 'ham_yen'"))}
    assert rows == {
        "02374": ("Hàm Yên", 2, 1, 3),  # Thị trấn Tân Yên + Xã Nhân Mục, then Xã Hàm Yên
        "02392": ("Phù Lưu", 1, 1, 2),  # Xã Minh Dân, then Xã Phù Lưu
        "02380": ("Bạch Xa", 0, 1, 1),
        None: ("Cấp huyện", 1, 0, 1),  # the district, up to 30 June
    }
    # the meeting totals check adds up by xã too (Σ by commune = Σ by kind = total)
    [(total, by_commune, by_kind)] = _rows(night, """
        select n_meetings_total, n_meetings_by_commune, n_meetings_by_kind
        from audit.audit_meeting_totals where year = 2025 and committee_code = 'ham_yen'""")
    assert total == by_commune == by_kind == 7
    [(attendees,)] = _rows(night, """
        select sum(n_attendees) from marts.mart_meetings_by_commune
        where year = 2025 and commune_code_2025 = '02374' and committee_code = 'ham_yen'""")
    assert attendees == 80 + 40 + 95


def test_xa_ham_yen_dated_30_june_quarantines_its_file_naming_line_column_value(night: Path):
    [report] = [json.loads(p.read_text(encoding="utf-8"))
                for p in (night / "quarantine").glob("*.json")]
    [error] = report["errors"]
    assert (error["line"], error["column"], error["value"]) == (3, "Xã/Thị trấn", "Xã Hàm Yên")
    assert "xã mới, chỉ có từ ngày 01/07/2025" in error["reason_vi"]
    assert "Thị trấn Tân Yên" in error["reason_vi"] and "new xã" in error["reason_en"]
    # none of its rows reached the marts (its valid line 2 would be a meeting at Thái Sơn)
    assert _rows(night, "select count(*) from marts.fct_meetings "
                        "where commune_code = '02407'") == [(0,)]


def test_a_xa_committee_is_a_committee_like_any_other(night: Path):
    """Its meetings at its own xã are its partition's, checked and published on their own."""
    assert _rows(night, """
        select committee_code, year, commune_code_2025, meeting_kind_code, n_meetings
        from marts.mart_meetings_by_commune where committee_code = 'xa_ham_yen'
        order by meeting_kind_code""") == [
        ("xa_ham_yen", 2025, "02374", "bao_cao_vien", 1),
        ("xa_ham_yen", 2025, "02374", "thong_tin_thoi_su", 1)]
    assert _rows(night, """
        select committee_code, year, status from marts.published_partitions
        order by 1, 2""") == [("ham_yen", 2025, "current"), ("xa_ham_yen", 2025, "current")]
    [(hoi_nghi,)] = _rows(night, """
        select value from marts.mart_kpi_annual where committee_code = 'xa_ham_yen'
        and year = 2025 and kpi_code = 'hoi_nghi_tong_so'""")
    assert hoi_nghi == 2
