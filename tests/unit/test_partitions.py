"""Partitions: failing rows name them; a withheld one keeps its last published rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bcd35.audit import AuditResult, CheckFailure
from bcd35.partitions import (
    Withheld,
    keep_withheld,
    partitions_of,
    published_partitions,
    withheld_of,
)


def test_failing_rows_name_their_partitions() -> None:
    assert partitions_of([{"committee_code": "a", "year": 2022, "n": 1},
                          {"committee_code": "b", "issue_year": 2023.0}]) == {("a", 2022),
                                                                                ("b", 2023)}
    # a meeting dated outside its log's year concerns both years
    assert partitions_of([{"committee_code": "a", "meeting_year": 2014, "log_year": 2024}]) \
        == {("a", 2014), ("a", 2024)}


@pytest.mark.parametrize("row", [{"year": 2022}, {"committee_code": "a"},
                                 {"committee_code": "a", "year": float("nan")},
                                 {"committee_code": None, "year": 2022}])
def test_a_row_without_committee_or_year_is_not_scoped(row: dict) -> None:
    assert partitions_of([{"committee_code": "a", "year": 2022}, row]) is None


def _failure(check: str, partitions: list[list] | None) -> CheckFailure:
    return CheckFailure("suite", check, True, "vi", "en", rows=[f"row of {check}"],
                        partitions=partitions)


def test_the_audit_withholds_only_when_every_blocking_failure_is_scoped() -> None:
    scoped = AuditResult(False, 3, [_failure("x", [["a", 2022]]),
                                    _failure("y", [["a", 2022], ["b", 2023]])], [])
    assert scoped.scoped
    assert [(w.committee_code, w.year, w.checks) for w in scoped.withheld()] == [
        ("a", 2022, ("x", "y")), ("b", 2023, ("y",))]
    assert withheld_of({"validation": scoped.to_dict()}) == scoped.withheld()
    unscoped = AuditResult(False, 3, [_failure("x", [["a", 2022]]), _failure("z", None)], [])
    assert not unscoped.scoped


def _build(path: Path, meetings: list[tuple], kpis: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_meetings (meeting_id varchar, committee_code "
                    "varchar, meeting_year integer, n_attendees integer)")
        con.execute("create table marts.mart_kpi_annual (committee_code varchar, year integer, "
                    "kpi_code varchar, value double)")
        con.execute("create table marts.dim_commune (commune_code varchar)")
        con.execute("create table marts.mart_kpi_annual_province as select 'p08' as "
                    "province_code, year, kpi_code, sum(value) as value "
                    "from marts.mart_kpi_annual group by all")
        con.executemany("insert into marts.fct_meetings values (?, ?, ?, ?)", meetings)
        con.executemany("insert into marts.mart_kpi_annual values (?, ?, ?, ?)", kpis)
        con.execute("insert into marts.mart_kpi_annual_province select 'p08', year, kpi_code, "
                    "sum(value) from marts.mart_kpi_annual group by all")
        con.execute("insert into marts.dim_commune values ('02374')")
    return path


def _rows(path: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select * from marts.{table} order by all").fetchall()


HELD = [Withheld("a", 2022, ("meeting_attendees_positive",), ("line 2: 0 attendees",))]


def test_a_withheld_partition_keeps_the_rows_it_was_last_published_with(tmp_path: Path) -> None:
    previous = _build(tmp_path / "old.duckdb",
                      [("m1", "a", 2022, 10), ("m2", "a", 2023, 20), ("m3", "b", 2022, 5)],
                      [("a", 2022, "hoi_nghi_tong_so", 1), ("a", 2023, "hoi_nghi_tong_so", 1)])
    candidate = _build(tmp_path / "new.duckdb",
                       [("m1", "a", 2022, 0), ("m4", "a", 2022, 7), ("m2", "a", 2023, 21),
                        ("m3", "b", 2022, 6)],
                       [("a", 2022, "hoi_nghi_tong_so", 2), ("a", 2023, "hoi_nghi_tong_so", 1)])

    keep_withheld(candidate, previous, "new", HELD)

    assert _rows(candidate, "fct_meetings") == [
        ("m1", "a", 2022, 10), ("m2", "a", 2023, 21), ("m3", "b", 2022, 6)]
    assert _rows(candidate, "mart_kpi_annual") == [
        ("a", 2022, "hoi_nghi_tong_so", 1.0), ("a", 2023, "hoi_nghi_tong_so", 1.0)]
    assert _rows(candidate, "dim_commune") == [("02374",)]
    # the province's 2022 total stays the last published one while a committee is withheld
    assert _rows(candidate, "mart_kpi_annual_province") == [
        ("p08", 2022, "hoi_nghi_tong_so", 1.0), ("p08", 2023, "hoi_nghi_tong_so", 1.0)]
    assert published_partitions(candidate) == {
        ("a", 2022): ("withheld", "old"), ("a", 2023): ("current", "new"),
        ("b", 2022): ("current", "new")}

    # the next night is withheld again: its rows still come from the build "old"
    # build files are named by time: a name that starts with a digit
    again = _build(tmp_path / "20240102T000000Z_newer.duckdb",
                   [("m1", "a", 2022, 0), ("m2", "a", 2023, 22)],
                   [("a", 2022, "hoi_nghi_tong_so", 3)])
    keep_withheld(again, candidate, "20240102T000000Z_newer", HELD)
    assert _rows(again, "fct_meetings") == [("m1", "a", 2022, 10), ("m2", "a", 2023, 22)]
    assert published_partitions(again)[("a", 2022)] == ("withheld", "old")


def test_a_partition_never_published_is_withheld_empty(tmp_path: Path) -> None:
    candidate = _build(tmp_path / "first.duckdb", [("m1", "a", 2022, 0), ("m2", "a", 2023, 3)],
                       [("a", 2022, "hoi_nghi_tong_so", 1)])
    keep_withheld(candidate, None, "first", HELD)
    assert _rows(candidate, "fct_meetings") == [("m2", "a", 2023, 3)]
    assert _rows(candidate, "mart_kpi_annual") == []
    assert published_partitions(candidate) == {("a", 2022): ("withheld", None),
                                               ("a", 2023): ("current", "first")}
    with duckdb.connect(str(candidate), read_only=True) as con:  # documented for `describe`
        comments = dict(con.execute("select column_name, comment from duckdb_columns() "
                                    "where table_name = 'published_partitions'").fetchall())
    assert all(comments.values()) and "withheld" in comments["status"]


def test_publishing_and_a_reports_sources_bind_no_parameter(tmp_path: Path) -> None:
    """Every night's publish (nothing withheld) and the report's list of sources load neither
    pandas nor numpy: DuckDB's client imports both on the first bound parameter (0.5 s), and
    ``executemany`` cost 2 s for the 2 100 partitions of a national build."""
    import subprocess
    import sys

    candidate = _build(tmp_path / "c.duckdb", [("m1", "a", 2022, 3), ("m2", "b", 2023, 4)],
                       [("a", 2022, "hoi_nghi_tong_so", 1)])
    with duckdb.connect(str(candidate)) as con:
        con.execute("alter table marts.fct_meetings add column source_file_sha256 varchar")
        con.execute("update marts.fct_meetings set source_file_sha256 = 's-' || meeting_id")
    code = (
        "import sys, duckdb; from pathlib import Path\n"
        "from bcd35.partitions import keep_withheld, partition_sources\n"
        f"keep_withheld(Path({str(candidate)!r}), None, \"it's\", [])\n"
        f"con = duckdb.connect({str(candidate)!r}, read_only=True)\n"
        "sources = [{'sha256': 's-m1'}, {'sha256': 's-m2'}]\n"
        "print(partition_sources(con, sources, 'a', 2022))\n"
        "print(sorted({'pandas', 'numpy'} & set(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == ["[{'sha256': 's-m1'}]", "[]"]
    assert published_partitions(candidate) == {("a", 2022): ("current", "it's"),
                                               ("b", 2023): ("current", "it's")}


def test_every_withheld_partition_is_named_however_long_the_rows_before_it() -> None:
    from bcd35.cli import shown_lines
    from bcd35.warehouse.base import withheld_message

    long_rows = tuple(f"Chia sẻ dòng {n}: Số liệu âm / negative count " + "x" * 200
                      for n in range(40))
    message = withheld_message([
        Withheld("ham_yen", 2023, ("no_negative_counts",), long_rows),
        Withheld("ham_yen", 2024, ("no_negative_counts",), ("a value\nwith a line break\x1b[2J",)),
    ])
    printed = shown_lines(message)
    assert "ham_yen 2023" in printed and "ham_yen 2024" in printed
    assert len(printed.splitlines()) == 1 + 1 + 40 + 1 + 1  # head, each partition and row
    # a line break or an escape sequence from a file stays inside its row, escaped
    assert printed.splitlines()[-1] == "    - a value\\x0awith a line break\\x1b[2J"
