"""Every raw row and every staging row carries its partition, ``(committee_code, year)``.

The ingestion writes ``_year`` into each raw row (``bcd35.ingest.kinds.PROVENANCE``: the year
of ``Kind.year_column``); the staging models derive ``year`` from the same column in SQL (so
that raw files written before ``_year`` existed stay right). On the published demo build every
raw row's ``_year`` must equal its staging row's ``year``, row for row, in every kind, and
the comparison is shown to fail on a raw file with one year planted wrong.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from bcd35.config import resolve_home
from bcd35.ingest.kinds import KINDS
from bcd35.warehouse import SOURCE_TABLES


def year_mismatches(raw_dir: Path, build: Path) -> dict[str, int]:
    """Per kind, the raw rows whose ``_year`` differs from (or is missing in) their staging
    row's ``year``, matched on file, sheet and line; kinds with none are left out."""
    out: dict[str, int] = {}
    with duckdb.connect(str(build), read_only=True) as con:
        for kind in KINDS:
            files = f"{raw_dir}/{kind}/*.parquet".replace("'", "''")
            n = con.sql(
                f"select count(*) from read_parquet('{files}', union_by_name = true) as raw "
                f"left join staging.{SOURCE_TABLES[kind]} as stg "
                "on stg.source_file_sha256 = raw._file_sha256 "
                "and stg.source_sheet is not distinct from raw._sheet "
                "and stg.source_row_number = raw._row_number "
                "where stg.year is distinct from raw._year or raw._year is null").fetchone()[0]
            if n:
                out[kind] = n
    return out


def test_every_raw_row_has_the_year_of_its_staging_row(published_home: Path) -> None:
    home = resolve_home(published_home)
    build = home.published.resolve()
    with duckdb.connect(str(build), read_only=True) as con:
        for table in SOURCE_TABLES.values():  # every staging row has its partition
            nulls = con.sql(f"select count(*) from staging.{table} "
                            "where committee_code is null or year is null").fetchone()[0]
            assert nulls == 0, table
    assert year_mismatches(home.raw, build) == {}


def test_a_wrong_year_in_the_raw_layer_is_caught(published_home: Path, tmp_path: Path) -> None:
    home = resolve_home(published_home)
    raw = tmp_path / "raw"
    shutil.copytree(home.raw, raw)
    first = sorted((raw / "meeting_log").glob("pack-*.parquet"))[0]
    table = pq.read_table(first)
    years = table.column("_year").to_pylist()
    wrong = [years[0] + 1, *years[1:]]  # the first line's year one too many
    table = table.set_column(table.schema.get_field_index("_year"), "_year",
                             pa.array(wrong, pa.int64()))
    pq.write_table(table, first)
    assert year_mismatches(raw, home.published.resolve()) == {"meeting_log": 1}
