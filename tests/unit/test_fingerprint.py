"""The build fingerprint (see docs/operator.md): any change to what a build reads changes it.

A night whose fingerprint equals the published, validated build's skips build, audit and
publish, so every input must move it: a new or rewritten raw file, the home's committee list,
the pseudonymisation key, a line of the dbt project or of the package code.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from bcd35 import fingerprint
from bcd35.config import DBT_PROJECT_DIR, Home
from bcd35.fingerprint import build_fingerprint
from bcd35.warehouse import manifest_path
from bcd35.warehouse.duckdb import DuckDBWarehouse

RAW = "meeting_log/" + "a" * 64 + ".parquet"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("BCD35_PSEUDONYM_KEY", "k1")
    home = Home(tmp_path / "home").ensure()
    (home.raw / "meeting_log").mkdir(parents=True)
    (home.raw / RAW).write_bytes(b"one file")
    return home


def test_same_inputs_same_fingerprint_in_another_folder(home: Home, tmp_path: Path) -> None:
    copy = Home(tmp_path / "copy")
    shutil.copytree(home.root, copy.root)  # copy2 keeps mtimes: the same inputs
    assert build_fingerprint(home, "ham_yen") == build_fingerprint(copy, "ham_yen")


def test_a_new_raw_file_changes_it(home: Home) -> None:
    before = build_fingerprint(home, "ham_yen")
    (home.raw / "meeting_log" / ("b" * 64 + ".parquet")).write_bytes(b"another")
    assert build_fingerprint(home, "ham_yen") != before


def test_a_raw_file_rewritten_behind_the_ingestion_changes_it(home: Home) -> None:
    before = build_fingerprint(home, "ham_yen")
    path = home.raw / RAW
    stat = path.stat()
    path.write_bytes(b"one fil3")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert build_fingerprint(home, "ham_yen") != before


def test_committee_list_key_and_committee_change_it(home: Home, monkeypatch) -> None:
    before = build_fingerprint(home, "ham_yen")
    assert build_fingerprint(home, "yen_son") != before
    monkeypatch.setenv("BCD35_PSEUDONYM_KEY", "k2")
    assert build_fingerprint(home, "ham_yen") != before
    monkeypatch.setenv("BCD35_PSEUDONYM_KEY", "k1")
    (home.root / "committees.csv").write_text("committee_code\nyen_son\n", encoding="utf-8")
    assert build_fingerprint(home, "ham_yen") != before


def test_a_changed_model_or_module_changes_it(home: Home, tmp_path: Path, monkeypatch) -> None:
    before = build_fingerprint(home, "ham_yen")
    dbt = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, dbt, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(fingerprint, "DBT_PROJECT_DIR", dbt)
    assert build_fingerprint(home, "ham_yen") == before
    model = dbt / "models" / "marts" / "kpi" / "mart_kpi_annual.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert build_fingerprint(home, "ham_yen") != before
    monkeypatch.setattr(fingerprint, "DBT_PROJECT_DIR", DBT_PROJECT_DIR)

    code = tmp_path / "bcd35"
    shutil.copytree(fingerprint.CODE, code, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "CODE", code)
    assert build_fingerprint(home, "ham_yen") == before
    (code / "nightly.py").write_text("# edited\n", encoding="utf-8")
    assert build_fingerprint(home, "ham_yen") != before


def _published(home: Home, manifest: dict) -> None:
    build = home.builds / "20250101T000000Z_abcdef12.duckdb"
    build.write_bytes(b"")
    manifest_path(build).write_text(json.dumps(manifest), encoding="utf-8")
    home.published.symlink_to(Path("builds") / build.name)


@pytest.mark.parametrize(("manifest", "current"), [
    ({"fingerprint": "F", "validation": {"success": True}}, "20250101T000000Z_abcdef12"),
    ({"fingerprint": "G", "validation": {"success": True}}, None),
    ({"fingerprint": "F", "validation": {"success": False}}, None),
    ({"validation": {"success": True}}, None),  # built before fingerprints: rebuild
])
def test_only_a_validated_published_build_of_the_same_inputs_is_current(
        home: Home, manifest: dict, current: str | None) -> None:
    _published(home, manifest)
    assert DuckDBWarehouse().unchanged_since(home, "F") == current


def test_nothing_published_nothing_current(home: Home) -> None:
    assert DuckDBWarehouse().unchanged_since(home, "F") is None


def test_another_version_of_a_library_that_writes_builds_changes_it(home: Home,
                                                                     monkeypatch) -> None:
    before = fingerprint.base_fingerprint(home, "ham_yen")
    real = fingerprint.metadata.version
    monkeypatch.setattr(fingerprint.metadata, "version",
                        lambda name: "9.9.9" if name == "dbt-core" else real(name))
    assert fingerprint.base_fingerprint(home, "ham_yen") != before
    assert build_fingerprint(home, "ham_yen") != fingerprint.combine(
        fingerprint.raw_listing(home.raw), before)
