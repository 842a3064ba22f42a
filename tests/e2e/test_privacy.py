"""Personal names never reach the marts: keyed-hash pseudonyms (docs/analyst.md#marts)."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from bcd35.config import PSEUDONYM_KEY_ENV, resolve_home
from bcd35.dbt_plugin import pseudonym
from bcd35.vietnamese import normalize_key
from bcd35.warehouse.duckdb import DuckDBWarehouse
from tests.support import published_target


def personal_names(home: Path) -> set[str]:
    """Collaborators and commended individuals, as delivered in the raw layer."""
    names: set[str] = set()
    for path in (home / "raw" / "collaborator_shares").glob("*.parquet"):
        names |= set(pq.read_table(path, columns=["cong_tac_vien"]).column(0).to_pylist())
    for path in (home / "raw" / "commendation").glob("*.parquet"):
        table = pq.read_table(path, columns=["ten", "doi_tuong"]).to_pylist()
        names |= {r["ten"] for r in table if r["doi_tuong"] == "ca_nhan"}
    return {n for n in names if n}


def names_found(build: Path, names: set[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, name) where a varchar cell contains a personal name."""
    wanted = {normalize_key(n) for n in names}
    found = []
    with duckdb.connect(str(build), read_only=True) as con:
        columns = con.sql(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' order by all").fetchall()
        for schema, table, column in columns:
            values = con.sql(f'select distinct "{column}" from "{schema}"."{table}" '
                             f'where "{column}" is not null').fetchall()
            for (value,) in values:
                key = normalize_key(value)
                found += [(f"{schema}.{table}", column, n) for n in wanted if n in key]
    return found


def test_no_personal_name_in_any_table_of_the_published_build(demo_home: Path):
    names = personal_names(demo_home)
    assert len(names) >= 60  # the demo's collaborators and commended individuals
    assert names_found(published_target(demo_home), names) == []


def test_the_scan_finds_a_planted_name(demo_home: Path, tmp_path: Path):
    names = personal_names(demo_home)
    copy = tmp_path / "leaky.duckdb"
    shutil.copy(published_target(demo_home), copy)
    leaked = sorted(names)[0]
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.fct_collaborator_shares set unit_name = ? "
                    "where share_id = (select min(share_id) from marts.fct_collaborator_shares)",
                    [unicodedata.normalize("NFD", leaked)])
    assert names_found(copy, names) == [("marts.fct_collaborator_shares", "unit_name",
                                         normalize_key(leaked))]


@pytest.mark.parametrize("spelling", ["Nguyễn Thị Hòa", "Nguyễn Thị Hoà", "NGUYỄN  THỊ HOÀ",
                                      unicodedata.normalize("NFD", "Nguyễn Thị Hoà")])
def test_same_person_same_pseudonym_after_normalisation(spelling: str):
    key = b"k" * 32
    assert pseudonym(key, normalize_key(spelling)) == pseudonym(key, normalize_key(
        "Nguyễn Thị Hòa"))
    assert pseudonym(key, normalize_key(spelling)) != pseudonym(key, normalize_key(
        "Nguyễn Thị Hoa"))


def test_a_new_key_changes_every_pseudonym(home_copy: Path, monkeypatch):
    def pseudonyms(build: Path) -> list[str]:
        with duckdb.connect(str(build), read_only=True) as con:
            return [r[0] for r in con.sql(
                "select collaborator_pseudonym from marts.fct_collaborator_shares "
                "order by source_file_sha256, source_row_number").fetchall()]

    home = resolve_home(home_copy)
    before = pseudonyms(published_target(home_copy))
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "a-different-key-from-configuration")
    DuckDBWarehouse().write_candidate(home, "rekeyed", "ham_yen")
    after = pseudonyms(home.builds / "rekeyed.duckdb")
    assert len(after) == len(before) == 873 + 6
    assert len(set(after)) == len(set(before))  # same people, same grouping
    assert set(after).isdisjoint(before)
