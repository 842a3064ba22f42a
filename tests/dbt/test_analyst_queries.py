"""The eight example questions of the analysts' page (docs/analyst.md), run on a published demo
build through the analysts' read-only connection, with their answers checked. The SQL below must
also appear, word for word, on that page."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]

MEETINGS_PER_COMMUNE_PER_QUARTER = """
select
    communes.commune_code,
    communes.unit_type_vi || ' ' || communes.commune_name_vi as unit,
    communes.commune_name_2025_vi as xa_from_2025,
    count(*) filter (where meetings.meeting_quarter = 1) as q1,
    count(*) filter (where meetings.meeting_quarter = 2) as q2,
    count(*) filter (where meetings.meeting_quarter = 3) as q3,
    count(*) filter (where meetings.meeting_quarter = 4) as q4,
    count(*) as year_total
from marts.fct_meetings as meetings
inner join marts.dim_commune as communes
    on meetings.commune_code = communes.commune_code
where meetings.meeting_year = 2024
group by 1, 2, 3
order by 1;
"""

COPIES_PER_RECEIVING_UNIT = """
select
    recipient_unit_name,
    count(*) as n_issues,
    sum(n_copies) as n_copies
from marts.fct_bulletin_distributions
where issue_year = 2024
group by 1
order by n_copies desc, recipient_unit_name;
"""

POSTS_PER_MONTH_PER_PAGE = """
select
    page_name,
    published_month,
    count(*) as n_posts,
    sum(n_reach) as reach
from marts.fct_posts
where published_year = 2024
group by 1, 2
order by 1, 2;
"""

TOP_COLLABORATOR_UNITS_BY_REACH = """
select
    unit_name,
    count(*) as n_shares,
    count(distinct collaborator_pseudonym) as n_collaborators,
    sum(n_reach) as reach,
    sum(n_reach + n_interactions) as reach_and_interactions
from marts.fct_collaborator_shares
where shared_year = 2024
group by 1
order by reach desc
limit 5;
"""

TRACE_BULLETIN_COPIES = """
select
    issue_number,
    n_copies_printed,
    source_file_sha256,
    source_sheet,
    source_row_number
from marts.fct_bulletin_issues
where issue_year = 2024
order by issue_number;
"""

FILES_OF_BULLETIN_COPIES = """
select
    files.path,
    files.kind,
    files.status,
    count(*) as n_issues,
    sum(issues.n_copies_printed) as n_copies
from marts.fct_bulletin_issues as issues
inner join audit.source_files as files
    on issues.source_file_sha256 = files.sha256
where issues.issue_year = 2024
group by 1, 2, 3
order by 1;
"""

CHECKS_OF_THE_BUILD = """
select
    check_name,
    severity,
    bool_and(passed) as passed,
    sum(failed_rows) as failed_rows,
    string_agg(distinct committee_code || ' ' || year, ', ') as partitions
from audit.check_results
group by 1, 2
order by passed, severity, check_name;
"""

COMPARED_WITH_A_PARTIAL_YEAR = """
select
    annual.kpi_code,
    annual.value,
    annual.previous_year_value,
    coverage.first_date as previous_first_date,
    coverage.last_date as previous_last_date,
    coverage.n_months_with_data as previous_n_months
from marts.mart_kpi_annual as annual
inner join marts.mart_kpi_coverage as coverage
    on
        annual.committee_code = coverage.committee_code
        and annual.year = coverage.year + 1
        and annual.kpi_code = coverage.kpi_code
where annual.year = 2024 and annual.is_previous_year_partial
order by annual.sort_order;
"""

QUERIES = [MEETINGS_PER_COMMUNE_PER_QUARTER, COPIES_PER_RECEIVING_UNIT, POSTS_PER_MONTH_PER_PAGE,
           TOP_COLLABORATOR_UNITS_BY_REACH, TRACE_BULLETIN_COPIES, FILES_OF_BULLETIN_COPIES,
           CHECKS_OF_THE_BUILD, COMPARED_WITH_A_PARTIAL_YEAR]


@pytest.fixture(scope="module")
def con(published_home):
    """An analyst's connection: read-only, no external file access."""
    connection = duckdb.connect(str(published_home / "warehouse" / "bcd35.duckdb"),
                                read_only=True, config={"enable_external_access": False})
    yield connection
    connection.close()


def _rows(con, sql: str) -> list[dict]:
    result = con.sql(sql)
    names = result.columns
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _normalise(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


@pytest.mark.parametrize("sql", QUERIES, ids=["meetings", "copies", "posts", "units", "trace",
                                         "files", "checks", "partial"])
def test_query_is_in_the_analysts_documentation(sql):
    text = _normalise((REPO / "docs" / "analyst.md").read_text(encoding="utf-8"))
    assert _normalise(sql) in text


def test_meetings_per_commune_per_quarter(con):
    rows = _rows(con, MEETINGS_PER_COMMUNE_PER_QUARTER)
    assert len(rows) == 19  # the 18 pre-2025 units and the district level
    by_code = {r["commune_code"]: r for r in rows}
    assert by_code["02374"]["unit"] == "Thị trấn Tân Yên"
    assert by_code["02374"]["xa_from_2025"] == "Hàm Yên"
    assert [by_code["02374"][q] for q in ("q1", "q2", "q3", "q4")] == [1, 1, 3, 1]
    assert [by_code["074"][q] for q in ("q1", "q2", "q3", "q4")] == [11, 10, 10, 11]
    assert by_code["074"]["xa_from_2025"] is None
    assert all(min(r["q1"], r["q2"], r["q3"], r["q4"]) >= 1 for r in rows)
    assert sum(r["year_total"] for r in rows) == 136
    assert len({r["xa_from_2025"] for r in rows if r["commune_code"] != "074"}) == 8


def test_copies_per_receiving_unit(con):
    rows = _rows(con, COPIES_PER_RECEIVING_UNIT)
    assert len(rows) == 28
    assert all(r["n_issues"] == 12 for r in rows)
    assert rows[0] == {"recipient_unit_name": "Đảng ủy xã Yên Phú", "n_issues": 12,
                       "n_copies": 668}
    assert sum(r["n_copies"] for r in rows) == 9960


def test_posts_per_month_per_page(con):
    rows = _rows(con, POSTS_PER_MONTH_PER_PAGE)
    assert len(rows) == 12
    assert {r["page_name"] for r in rows} == {"Ban Chỉ đạo 35 huyện Hàm Yên"}
    by_month = {r["published_month"].month: r["n_posts"] for r in rows}
    assert min(by_month.values()) == by_month[11] == 42
    assert max(by_month.values()) == by_month[3] == by_month[5] == 50
    assert sum(r["n_posts"] for r in rows) == 561
    assert sum(r["reach"] for r in rows) == 841518


def test_top_collaborator_units_by_reach(con):
    rows = _rows(con, TOP_COLLABORATOR_UNITS_BY_REACH)
    assert [r["unit_name"] for r in rows[:3]] == [
        "Xã Minh Khương", "Xã Thái Sơn", "Hội Liên hiệp Phụ nữ huyện"]
    assert (rows[0]["n_shares"], rows[0]["n_collaborators"], rows[0]["reach"]) == (63, 4, 187101)
    assert rows[1]["reach"] == 169809 and rows[2]["reach"] == 158820
    assert [r["reach"] for r in rows] == sorted((r["reach"] for r in rows), reverse=True)


def test_trace_bulletin_copies_to_their_lines(con):
    rows = _rows(con, TRACE_BULLETIN_COPIES)
    assert [r["issue_number"] for r in rows] == list(range(1, 13))
    assert sum(r["n_copies_printed"] for r in rows) == 9960
    assert {r["n_copies_printed"] for r in rows} <= set(range(800, 861))
    assert {r["source_sheet"] for r in rows} == {"Sổ xuất bản"}
    assert [r["source_row_number"] for r in rows] == list(range(3, 15))
    demo_file = REPO / "seeds/demo/inbox/so_xuat_ban_ban_tin_2024.xlsx"
    assert {r["source_file_sha256"] for r in rows} == {
        hashlib.sha256(demo_file.read_bytes()).hexdigest()}
    # the annual KPI is exactly the sum of those lines
    value = con.sql("select value from marts.mart_kpi_annual where year = 2024 "
                    "and kpi_code = 'ban_tin_so_cuon'").fetchone()[0]
    assert Decimal(str(value)) == 9960


def test_files_that_make_up_the_bulletin_copies_of_2024(con):
    rows = _rows(con, FILES_OF_BULLETIN_COPIES)
    assert rows == [{"path": "demo/so_xuat_ban_ban_tin_2024.xlsx", "kind": "bulletin_issue",
                     "status": "loaded", "n_issues": 12, "n_copies": 9960}]


def test_checks_that_ran_on_the_published_build(con, published_home):
    import json

    rows = _rows(con, CHECKS_OF_THE_BUILD)
    by_check = {r["check_name"]: r for r in rows}
    manifest = json.loads(next((published_home / "warehouse" / "builds").glob(
        f"{(published_home / 'warehouse' / 'bcd35.duckdb').resolve().stem}.json")).read_text())
    # every expectation the audit ran is a row; the office's reference files are one more
    assert set(by_check) == {c["check"] for c in manifest["validation"]["checks"]} | {
        "home_reference_row_refused"}
    assert all(r["passed"] for r in rows if r["severity"] == "blocking")
    moved = by_check["kpi_moved_over_50_percent"]
    assert (moved["passed"], moved["failed_rows"], moved["partitions"]) == (False, 7,
                                                                             "ham_yen 2024")
    assert by_check["posts_from_new_page"]["passed"]  # the demo page is listed


def test_kpis_of_2024_compared_with_a_partial_year(con):
    rows = _rows(con, COMPARED_WITH_A_PARTIAL_YEAR)
    assert [r["kpi_code"] for r in rows] == [
        "fanpage_tin_bai", "fanpage_tin_bai_binh_quan_ngay", "fanpage_luot_tiep_can",
        "fanpage_luot_tuong_tac", "ctv_tin_bai_chia_se", "ctv_luot_tiep_can_tuong_tac",
        "ctv_so_cong_tac_vien", "khen_thuong_tap_the", "bieu_duong_ca_nhan"]
    posts = rows[0]
    assert (posts["value"], posts["previous_year_value"], posts["previous_n_months"]) == (
        561, 38, 1)
    assert posts["previous_first_date"].month == posts["previous_last_date"].month == 12
    # the meetings and bulletins of 2024 have no 2023 to compare with: not listed
    assert not {r["kpi_code"] for r in rows} & {"hoi_nghi_tong_so", "ban_tin_so_cuon"}


def test_column_descriptions_are_in_the_database(con):
    """dbt's descriptions are table and column comments (persist_docs): an analyst sees them
    in the warehouse itself. DuckDB's ``describe`` lists the columns; the comments are in
    duckdb_columns() / duckdb_tables()."""
    described = [r[0] for r in con.sql("describe marts.mart_kpi_annual").fetchall()]
    comments = dict(con.sql(
        "select column_name, comment from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'mart_kpi_annual'").fetchall())
    assert list(comments) == described
    assert comments["pct_of_target"].startswith("Tỷ lệ đạt (%)")
    assert comments["is_partial_year"].startswith("Năm chưa đủ")
    assert all(comments.values()), [c for c, text in comments.items() if not text]
    missing = con.sql(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where schema_name in ('marts', 'reference') and comment is null").fetchall()
    assert missing == []
    undocumented = con.sql(
        "select table_name || '.' || column_name from duckdb_columns() "
        "where schema_name = 'marts' and comment is null").fetchall()
    assert undocumented == []


def test_bulletin_recipients_join_the_communes(con):
    rows = _rows(con, """
        select units.recipient_unit_name, units.is_matched, communes.commune_name_vi,
            units.commune_name_2025_vi, sum(dist.n_copies) as n_copies
        from marts.fct_bulletin_distributions as dist
        inner join marts.dim_recipient_unit as units
            on dist.recipient_unit_id = units.recipient_unit_id
        left join marts.dim_commune as communes
            on dist.recipient_commune_code = communes.commune_code
        where dist.issue_year = 2024
        group by 1, 2, 3, 4
        order by 1""")
    by_name = {r["recipient_unit_name"]: r for r in rows}
    assert len(rows) == 28 and sum(r["n_copies"] for r in rows) == 9960
    minh_dan = by_name["Đảng ủy xã Minh Dân"]
    assert (minh_dan["commune_name_vi"], minh_dan["commune_name_2025_vi"]) == (
        "Minh Dân", "Phù Lưu")
    assert by_name["Đảng ủy thị trấn Tân Yên"]["commune_name_vi"] == "Tân Yên"
    # 18 party committees of the 18 pre-2025 units; district bodies and schools name no commune
    assert sum(r["is_matched"] for r in rows) == 18
    assert not by_name["Trung tâm Chính trị huyện"]["is_matched"]
    assert by_name["Trung tâm Chính trị huyện"]["commune_name_vi"] is None
