"""The same dbt models on a real PostgreSQL: a night of the demo home with
``BCD35_WAREHOUSE=postgres`` (raw Parquet loaded into the raw schema, `dbt build --target
postgres` with seeds, models, contracts and data tests, the audit, the publish) gives
the same marts as the DuckDB night of the same home; the project's dbt unit tests pass on it
(a night runs none: tests/dbt/test_unit_tests.py)."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bcd35.config import DBT_PROJECT_DIR, committee_code, pseudonym_key, resolve_home
from bcd35.dbt_plugin import pseudonym
from bcd35.ingest.kinds import KINDS
from bcd35.warehouse.dbt import NIGHTLY_EXCLUDES, dbt_command
from bcd35.warehouse.postgres import (
    SCHEMA_PREFIX_VAR,
    copy_raw,
    load_raw,
    pg_dbt_env,
    raw_table_sql,
)
from tests.dbt.test_unit_tests import assert_all_pass_and_the_plant_fails, run_unit_tests
from tests.support import bcd35

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_build(published_home, pg_server, tmp_path_factory):
    """The demo home's night again, on PostgreSQL (its own database)."""
    home = tmp_path_factory.mktemp("pg_night") / "home"
    shutil.copytree(published_home, home, symlinks=True)
    env = pg_server.database("pg_night")
    started = time.monotonic()
    run = bcd35(home, "run", env=env)
    elapsed = time.monotonic() - started
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    print(f"\nPostgreSQL night (load, dbt build, audit, publish): {elapsed:.1f} s")
    return resolve_home(home), pg_server.target("pg_night")


def _pg_rows(target, sql: str) -> list[tuple]:
    with contextlib.closing(target.connect()) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def _duck_rows(home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home.published), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_raw_layer_loaded_row_for_row(published_home, postgres):
    home = resolve_home(published_home)
    loaded = load_raw(home, postgres)
    with duckdb.connect() as con:
        for kind, n in loaded.items():
            if kind not in KINDS:  # the home's own inputs (committees, targets, pages)
                continue
            files = str(home.raw / kind / "*.parquet")
            names = ", ".join(f'"{name}"' for name, _ in KINDS[kind].schema())
            order = "order by _file_sha256, _sheet, _row_number"
            expected = con.sql(f"select {names} from read_parquet('{files}', "
                               f"union_by_name = true) {order}").fetchall()
            assert len(expected) == n, kind
            assert _pg_rows(postgres, f'select {names} from raw."{kind}" {order}') == expected


#: values a raw text column may hold that a CSV copy could lose or change
TRICKY_TEXT = ["", None, 'nói "không"', "a,b;c", "dòng 1\ndòng 2\r\n", "C:\\thu_muc\\",
               "  cách  ", "NULL", "\\N", "Hoà Bình – Đ", "=1+1", "\t"]
SAMPLES = {
    "string": TRICKY_TEXT,
    "int64": [0, None, -1, 2**63 - 1, 9960],
    "float64": [0.1, None, 1e300, -2.5, 1 / 3],
    "date": [date(2024, 1, 1), None, date(2025, 7, 1), date(1999, 12, 31)],
    "timestamp": [datetime(2024, 12, 31, 23, 59, 59, 999999), None, datetime(2000, 1, 1)],
    "bool": [True, False, None],
}
ARROW = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
         "date": pa.date32(), "timestamp": pa.timestamp("us"), "bool": pa.bool_()}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_copy_keeps_every_value_as_it_is(kind, pg_server, tmp_path):
    """Empty text is not NULL, quotes, separators, line breaks and backslashes stay as they
    are, numbers and times keep every digit, and a column the file lacks is NULL."""
    schema = KINDS[kind].schema()
    n = len(TRICKY_TEXT)
    columns = {name: pa.array([SAMPLES[type_][i % len(SAMPLES[type_])] for i in range(n)],
                              ARROW[type_]) for name, type_ in schema}
    columns["_row_number"] = pa.array(range(n), pa.int64())
    lacking = schema[-1][0]  # a file without the kind's last column
    pq.write_table(pa.table({k: v for k, v in columns.items() if k != lacking}),
                   tmp_path / "f.parquet")
    pq.write_table(pa.table(columns).slice(0, 0), tmp_path / "_empty.parquet")
    pg_server.database("copy_raw")
    target = pg_server.target("copy_raw")
    with contextlib.closing(target.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute("create schema raw")
        cur.execute(raw_table_sql(KINDS[kind]))
        assert copy_raw(cur, KINDS[kind], [tmp_path / "_empty.parquet",
                                           tmp_path / "f.parquet"]) == n
        names = ", ".join(f'"{name}"' for name, _ in schema)
        cur.execute(f'select {names} from raw."{kind}" order by _row_number')
        got = cur.fetchall()
    expected = list(zip(*(columns[name].to_pylist() if name != lacking else [None] * n
                          for name, _ in schema), strict=True))
    assert got == expected


def test_build_reproduces_the_2024_kpis(pg_build):
    _, target = pg_build
    got = dict(_pg_rows(target, "select kpi_code, value from marts.mart_kpi_annual "
                                "where committee_code = 'ham_yen' and year = 2024"))
    expected = json.loads((REPO / "seeds/demo/expected_kpis_2024.json").read_text())
    assert got == expected


def test_same_marts_as_duckdb(pg_build):
    home, target = pg_build
    queries = {
        "fct_meetings": "select meeting_id, commune_code, is_2025_commune, commune_code_2025, "
                        "n_attendees, source_row_number from marts.fct_meetings order by 1",
        "dim_commune_2025": "select * from marts.dim_commune_2025 order by 1",
        "mart_meetings_by_commune": "select * from marts.mart_meetings_by_commune "
                                    "order by 1, 2, 3, 6",
        "fct_bulletin_distributions": "select distribution_id, commune_code, commune_code_2025 "
                                      "from marts.fct_bulletin_distributions order by 1",
        "fct_bulletin_issues": "select issue_id, n_copies_printed, n_copies_distributed "
                               "from marts.fct_bulletin_issues order by 1",
        "fct_posts": "select post_id, n_reach, source_file_sha256 from marts.fct_posts order by 1",
        "mart_kpi_monthly": "select year, month, kpi_code, value from marts.mart_kpi_monthly "
                            "order by 1, 2, 3",
        "dim_commune": "select commune_code, commune_code_2025 from marts.dim_commune order by 1",
        "mart_kpi_coverage": "select year, kpi_code, first_date, last_date, n_months_with_data, "
                             "coverage_basis, is_partial_year from marts.mart_kpi_coverage "
                             "order by 1, 2",
        "mart_kpi_annual": "select year, kpi_code, target, target_source, n_months_with_data, "
                           "is_partial_year, is_previous_year_partial "
                           "from marts.mart_kpi_annual order by 1, 2",
        "dim_recipient_unit": "select recipient_unit_id, commune_code, commune_code_2025, "
                              "is_matched from marts.dim_recipient_unit order by 1",
        "fct_posts pages": "select post_id, is_listed_page, is_committee_page "
                           "from marts.fct_posts order by 1",
    }
    for name, sql in queries.items():
        assert _pg_rows(target, sql) == _duck_rows(home, sql), name


def test_same_pseudonyms_on_both_warehouses(pg_build):
    home, target = pg_build
    sql = ("select share_id, collaborator_pseudonym from marts.fct_collaborator_shares "
           "order by 1")
    pg, duck = _pg_rows(target, sql), _duck_rows(home, sql)
    assert len(pg) > 800 and pg == duck
    sql = "select recipient_name from marts.fct_commendations order by 1"
    assert _pg_rows(target, sql) == _duck_rows(home, sql)
    # and both equal the Python definition (bcd35.dbt_plugin.pseudonym) for the same key
    key = pseudonym_key(home)
    assert all(p.startswith("p_") and len(p) == 18 for _, p in pg)
    with contextlib.closing(target.connect(
            options=f"-c bcd35.pseudonym_key={key.decode()}")) as conn, conn.cursor() as cur:
        cur.execute("select 'p_' || substr(encode(hmac(%s, current_setting("
                    "'bcd35.pseudonym_key'), 'sha256'), 'hex'), 1, 16)", ["nguyễn văn a"])
        assert cur.fetchone()[0] == pseudonym(key, "nguyễn văn a")


def test_the_key_is_never_in_sql_or_logs(pg_build):
    home, target = pg_build
    key = pseudonym_key(home).decode()
    for path in (home.dbt / "target_postgres").rglob("*"):
        if path.is_file() and path.suffix in (".sql", ".json", ".txt"):
            assert key not in path.read_text(errors="replace"), path
    for path in (home.dbt / "logs_postgres").rglob("*"):
        if path.is_file():
            assert key not in path.read_text(errors="replace"), path


def test_descriptions_are_table_and_column_comments_on_postgres(pg_build):
    """persist_docs on PostgreSQL: psql's \\d+ and any client see the dbt descriptions."""
    _, target = pg_build
    columns = dict(_pg_rows(target, """
        select a.attname, col_description(a.attrelid, a.attnum)
        from pg_attribute as a
        where a.attrelid = 'marts.mart_kpi_annual'::regclass and a.attnum > 0
            and not a.attisdropped"""))
    assert columns["pct_of_target"].startswith("Tỷ lệ đạt (%)")
    assert all(columns.values()), [c for c, text in columns.items() if not text]
    [(table_comment,)] = _pg_rows(target, "select obj_description("
                                          "'marts.mart_kpi_coverage'::regclass, 'pg_class')")
    assert table_comment.startswith("One row per committee, year and KPI code")


def test_unit_tests_on_postgres(pg_build, tmp_path: Path) -> None:
    """The project's dbt unit tests on PostgreSQL and the planted fault of
    tests/dbt/test_unit_tests.py. dbt reads the types of a unit test's inputs from their
    tables: the project is first built (as a night builds it) in schemas of its own."""
    home, target = pg_build
    env = pg_dbt_env(home, target, committee_code())
    variables = json.dumps({SCHEMA_PREFIX_VAR: "unit_tests_"})
    built = subprocess.run(
        dbt_command(home, "build", *NIGHTLY_EXCLUDES, "--vars", variables, target="postgres"),
        env=env, capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stdout[-4000:]

    def run(project: Path = DBT_PROJECT_DIR):
        return run_unit_tests(home, env, "postgres", project, ("--vars", variables))

    assert_all_pass_and_the_plant_fails(run, tmp_path)
