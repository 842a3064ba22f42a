"""Communes after 1 July 2025, through a real night (ingest, dbt, checks, publish): a meeting of
August 2025 at ``Xã Hàm Yên`` is the new xã (not the district), and the 2025 figures by xã add
the old units of the first half-year to the new xã of the second (docs/analyst.md#communes)."""

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


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("communes") / "home"
    (home / "inbox").mkdir(parents=True)
    for name in (GOOD, BAD):
        shutil.copy(FIXTURES / name, home / "inbox" / name)
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
        from marts.fct_meetings order by meeting_date""")
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
        where meetings.meeting_date = '2025-08-15'""")
    assert (name, str(valid_from)) == ("Hàm Yên", "2025-07-01")


def test_the_2025_figures_by_xa_add_old_units_and_new_xa(night: Path):
    analyst = (REPO / "docs" / "analyst.md").read_text(encoding="utf-8")
    [query] = [q for q in re.findall(r"```sql\n(.*?)```", analyst, re.DOTALL)
               if "mart_meetings_by_commune" in q]  # the page's own query
    rows = {code: (name, before, after, total)
            for code, name, before, after, total in _rows(night, query)}
    assert rows == {
        "02374": ("Hàm Yên", 2, 1, 3),  # Thị trấn Tân Yên + Xã Nhân Mục, then Xã Hàm Yên
        "02392": ("Phù Lưu", 1, 1, 2),  # Xã Minh Dân, then Xã Phù Lưu
        "02380": ("Bạch Xa", 0, 1, 1),
        None: ("Cấp huyện", 1, 0, 1),  # the district, up to 30 June
    }
    # the meeting totals check adds up by xã too (Σ by commune = Σ by kind = total)
    [(total, by_commune, by_kind)] = _rows(night, """
        select n_meetings_total, n_meetings_by_commune, n_meetings_by_kind
        from audit.audit_meeting_totals where year = 2025""")
    assert total == by_commune == by_kind == 7
    [(attendees,)] = _rows(night, """
        select sum(n_attendees) from marts.mart_meetings_by_commune
        where year = 2025 and commune_code_2025 = '02374'""")
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
