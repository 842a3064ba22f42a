"""bcd35.report.write_report on a small hand-made published build (no Airflow, no dbt)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import duckdb
import pytest

from bcd35.config import Home
from bcd35.report import ReportRefused, write_report
from bcd35.report.table import render_kpi_table
from bcd35.warehouse import write_manifest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "report_data_2024.json"
BUILD_ID = "20250101T000000Z_unit"

EXPECTED_FILES = [
    "kpi_2024.json", "kpi_2024.csv", "bao_cao_kpi_2024.xlsx", "bao_cao_2024.docx",
    "bieu_do/bieu_do_hoi_nghi_2024.png", "bieu_do/bieu_do_ban_tin_2024.png",
    "bieu_do/bieu_do_tin_bai_2024.png", "bieu_do/bieu_do_tiep_can_2024.png",
    "audit/manifest.json", "audit/validation.json", "audit/kiem_tra.txt", "audit/SHA256SUMS",
    "audit/sources.json", "audit/corrections.json",
    "mau/mau_bulletin_distribution.xlsx", "mau/mau_bulletin_issue.xlsx",
    "mau/mau_collaborator_shares.xlsx", "mau/mau_commendation.xlsx", "mau/mau_meeting_log.xlsx",
    "index.html",
]


def make_home(root: Path, success: bool = True) -> Home:
    """A published build with the marts the report reads, from the 2024 fixture."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    home = Home(root)
    home.ensure()
    build = home.builds / f"{BUILD_ID}.duckdb"
    code = data["committee"]["code"]
    with duckdb.connect(str(build)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.mart_kpi_annual (committee_code varchar, year bigint, "
                    "kpi_code varchar, sort_order integer, name_vi varchar, unit_vi varchar, "
                    "value double, target double, previous_year_value double, "
                    "pct_of_target decimal(28, 1), is_partial_year boolean, "
                    "is_previous_year_partial boolean)")
        con.executemany("insert into marts.mart_kpi_annual values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [[code, 2024, k["code"], i, k["name_vi"], k["unit_vi"], k["value"],
                          k["target"], k["previous_year"], k["pct_of_target"],
                          k.get("is_partial_year", False),
                          k.get("is_previous_year_partial", False)]
                         for i, k in enumerate(data["kpis"], start=1)])
        con.execute("create table marts.mart_kpi_monthly (committee_code varchar, year bigint, "
                    "month integer, kpi_code varchar, sort_order integer, value double)")
        con.executemany("insert into marts.mart_kpi_monthly values (?, ?, ?, ?, ?, ?)",
                        [[code, 2024, m, kpi, 0, v] for kpi, values in data["monthly"].items()
                         for m, v in enumerate(values, start=1)])
        con.execute("create table marts.dim_committee (committee_code varchar, name_vi varchar, "
                    "district_name_vi varchar, province_name_vi varchar)")
        c = data["committee"]
        con.execute("insert into marts.dim_committee values (?, ?, ?, ?)",
                    [c["code"], c["name_vi"], c["district_name_vi"], c["province_name_vi"]])
        con.execute("create table marts.fct_bulletin_issues (committee_code varchar, "
                    "publication_name varchar, issue_year integer)")
        con.execute("insert into marts.fct_bulletin_issues values (?, ?, 2024)",
                    [code, data["publications"][0]])
    sources = []
    for name in ("demo/a.csv", "demo/b.xlsx"):
        body = name.encode() * 10
        sha = hashlib.sha256(body).hexdigest()
        (home.originals / sha[:2]).mkdir(parents=True, exist_ok=True)
        (home.originals / sha[:2] / sha).write_bytes(body)
        sources.append({"file": name, "kind": "meeting_log", "rows": 10, "sha256": sha})
    manifest = {**data["manifest"], "build_id": BUILD_ID, "sources": sources}
    manifest["validation"] = {**manifest["validation"], "success": success}
    write_manifest(build, manifest)
    os.symlink(os.path.relpath(build, home.published.parent), home.published)
    return home


def test_writes_every_report_file(tmp_path):
    home = make_home(tmp_path / "home")
    report = write_report(home, 2024, "ham_yen")
    assert report.directory == home.exports / "2024" and report.build_id == BUILD_ID
    assert [f.relative_to(report.directory).as_posix() for f in report.files] == EXPECTED_FILES
    assert all(f.is_file() and f.stat().st_size > 0 for f in report.files)
    table = render_kpi_table(report)
    assert "9.960" in table and "2.435.999" in table and "1,53" in table
    assert not [p for p in home.exports.iterdir() if p.name.startswith(".")]  # no staging left


def test_report_page_links_the_clerks_templates_copied_beside_it(tmp_path):
    from bcd35.config import REPO_ROOT

    home = make_home(tmp_path / "home")
    report = write_report(home, 2024, "ham_yen")
    page = (report.directory / "index.html").read_text(encoding="utf-8")
    for source in sorted((REPO_ROOT / "templates").glob("mau_*.xlsx")):
        assert f'href="mau/{source.name}"' in page
        assert (report.directory / "mau" / source.name).read_bytes() == source.read_bytes()


def test_writing_again_replaces_the_year_folder_and_gives_the_same_bytes(tmp_path):
    home = make_home(tmp_path / "home")
    first = write_report(home, 2024, "ham_yen")
    before = {f: f.read_bytes() for f in first.files}
    (first.directory / "stale_note.txt").write_text("from an older report", encoding="utf-8")
    second = write_report(home, 2024, "ham_yen")
    assert not (second.directory / "stale_note.txt").exists()
    assert {f: f.read_bytes() for f in second.files} == before


def test_refuses_a_build_that_did_not_pass_validation(tmp_path):
    home = make_home(tmp_path / "home", success=False)
    with pytest.raises(ReportRefused, match="did not pass validation"):
        write_report(home, 2024, "ham_yen")
    assert list(home.exports.iterdir()) == []


def test_refuses_a_year_the_build_does_not_have(tmp_path):
    home = make_home(tmp_path / "home")
    with pytest.raises(ReportRefused, match="no figures for 2031"):
        write_report(home, 2031, "ham_yen")
    with pytest.raises(ReportRefused):
        write_report(home, 2024, "another_committee")
