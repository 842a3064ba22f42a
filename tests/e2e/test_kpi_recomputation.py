"""The audit's recomputation of every annual KPI (the SQL model
``audit.audit_kpi_recomputation``, from staging only, on both engines) agrees with a third
computation in pandas (``tests/oracle/recompute.py``) on the demo build, also after staging
is changed so that the de-duplication decides a figure."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.oracle.recompute import recompute_annual_kpis
from tests.support import published_target

KEY = ["committee_code", "year", "kpi_code"]


def _model(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.sql("select committee_code, year::bigint as year, kpi_code, recomputed_value "
                   "as value from audit.audit_kpi_recomputation where recomputed_value <> 0 "
                   "order by all").df()


def _oracle(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    found = recompute_annual_kpis(con)
    return found[found["value"] != 0].sort_values(KEY).reset_index(drop=True)


@pytest.fixture
def build(demo_home: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "build.duckdb"
    shutil.copyfile(published_target(demo_home), copy)
    return copy


def test_the_sql_recomputation_equals_the_pandas_oracle_and_the_mart(build: Path):
    with duckdb.connect(str(build), read_only=True) as con:
        model, oracle = _model(con), _oracle(con)
        disagreeing = con.sql("select count(*) from audit.audit_kpi_recomputation "
                              "where mart_value <> recomputed_value").fetchone()[0]
    assert len(model) >= 13  # every KPI of the demo's 2024, at least
    pd.testing.assert_frame_equal(model, oracle, check_dtype=False)
    assert disagreeing == 0


def test_a_later_ingestion_of_the_same_meeting_wins_in_both(build: Path):
    """Planted: the first 2024 meeting delivered again by a later file with 7 more attendees.
    Both computations must take the later row (the mart, built before, now disagrees)."""
    with duckdb.connect(str(build)) as con:
        before = _model(con)
        con.execute("""
            insert into staging.stg_office__meetings
            select * replace (n_attendees + 7 as n_attendees, ingest_seq + 1000 as ingest_seq)
            from staging.stg_office__meetings
            where extract(year from meeting_date) = 2024
            order by meeting_date, source_row_number limit 1""")
        model, oracle = _model(con), _oracle(con)
        flagged = con.sql("select kpi_code from audit.audit_kpi_recomputation "
                          "where mart_value <> recomputed_value").fetchall()
    pd.testing.assert_frame_equal(model, oracle, check_dtype=False)
    changed = model.merge(before, on=KEY, suffixes=("", "_before"))
    changed = changed[changed["value"] != changed["value_before"]]
    assert changed[["year", "kpi_code"]].values.tolist() == [[2024, "luot_dai_bieu"]]
    assert float((changed["value"] - changed["value_before"]).iloc[0]) == 7
    assert flagged == [("luot_dai_bieu",)]
