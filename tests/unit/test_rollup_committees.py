"""The home's committees reach dbt (dim_committee, the province roll-up) and the build's
resource settings (docs/performance.md)."""

from __future__ import annotations

import csv
from pathlib import Path

from bcd35.config import Home
from bcd35.warehouse.dbt import COMMITTEE_COLUMNS, write_committees_for_dbt
from bcd35.warehouse.duckdb import DuckDBWarehouse


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_without_a_committees_file_dbt_gets_the_header_only(tmp_path: Path) -> None:
    path = write_committees_for_dbt(Home(tmp_path))
    assert path.read_text(encoding="utf-8").splitlines() == [
        ",".join((*COMMITTEE_COLUMNS, "_loaded_at"))]


def test_committees_file_is_completed_validated_and_deduplicated(tmp_path: Path) -> None:
    (tmp_path / "committees.csv").write_text(
        "\ufeffcommittee_code,name_vi,province_code\n"
        "yen_son,Ban Chỉ đạo 35 huyện Yên Sơn,08\n"
        "Bad Code,nope,08\n"
        "yen_son,second row loses,99\n"
        "son_duong,,\n", encoding="utf-8")
    rows = _rows(write_committees_for_dbt(Home(tmp_path)))
    assert [r["committee_code"] for r in rows] == ["yen_son", "son_duong"]
    assert rows[0]["name_vi"] == "Ban Chỉ đạo 35 huyện Yên Sơn"
    assert rows[0]["ma_tinh"] == "08"  # the English alias province_code is accepted
    assert rows[1]["ma_tinh"] == "" and rows[1]["timezone"] == ""
    assert all(r["_loaded_at"] for r in rows)


def test_dbt_env_limits_duckdb_and_respects_overrides(tmp_path: Path, monkeypatch) -> None:
    home = Home(tmp_path)
    monkeypatch.delenv("BCD35_DUCKDB_MEMORY_LIMIT", raising=False)
    env = DuckDBWarehouse().dbt_env(home, tmp_path / "c.duckdb", "ham_yen")
    assert env["BCD35_DUCKDB_MEMORY_LIMIT"] == "2GB"
    assert int(env["BCD35_DUCKDB_THREADS"]) >= 1 and int(env["BCD35_DBT_THREADS"]) >= 1
    assert Path(env["BCD35_COMMITTEES_CSV"]).is_file()
    monkeypatch.setenv("BCD35_DUCKDB_MEMORY_LIMIT", "1GB")
    env = DuckDBWarehouse().dbt_env(home, tmp_path / "c.duckdb", "ham_yen")
    assert env["BCD35_DUCKDB_MEMORY_LIMIT"] == "1GB"
