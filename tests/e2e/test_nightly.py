"""The walking skeleton end to end: inbox → Airflow DAG → dbt → GX → publish → report."""

from __future__ import annotations

import json
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.support import (
    FIXTURES,
    REPO,
    bcd35,
    kpis,
    mart_hashes,
    published_target,
    tree_digest,
)

SPEC_2024 = {  # the 2024 figures the README quotes
    "hoi_nghi_thong_tin_thoi_su": 96,
    "ban_tin_so_ky": 12,
    "ban_tin_so_cuon": 9960,
    "ctv_tin_bai_chia_se": 873,
    "khen_thuong_tap_the": 3,
    "bieu_duong_ca_nhan": 2,
}


def test_demo_report_reproduces_the_2024_review(demo_home: Path):
    got = kpis(demo_home / "exports" / "2024", 2024)
    assert {code: got[code] for code in SPEC_2024} == SPEC_2024
    assert 1 <= got["fanpage_tin_bai_binh_quan_ngay"] <= 2
    assert got["ctv_luot_tiep_can_tuong_tac"] > 2_400_000
    expected = json.loads((REPO / "seeds/demo/expected_kpis_2024.json").read_text())
    assert got == expected


def test_report_files_and_provenance(demo_home: Path):
    out = demo_home / "exports" / "2024"
    doc = json.loads((out / "kpi_2024.json").read_text(encoding="utf-8"))
    assert doc["validation"]["success"] is True
    assert doc["run_id"].startswith("manual__")
    assert all(isinstance(k["value"], int | float) for k in doc["kpis"])
    kinds = {s["kind"] for s in doc["sources"]}
    assert kinds == {"meeting_log", "commendation", "bulletin_issue", "bulletin_distribution",
                     "meta_posts", "collaborator_shares"}
    demo_files = {p.name for p in (REPO / "seeds/demo/inbox").iterdir()}
    assert {Path(s["file"]).name for s in doc["sources"]} == demo_files
    csv_text = (out / "kpi_2024.csv").read_text(encoding="utf-8-sig")
    assert '"9.960"' in csv_text or ",9.960," in csv_text
    assert (out / "bao_cao_kpi_2024.xlsx").stat().st_size > 0


def test_same_night_twice_gives_identical_marts(home_copy: Path):
    before = mart_hashes(home_copy)
    first_build = published_target(home_copy)
    run = bcd35(home_copy, "run", "--force")  # rebuild although nothing changed
    assert run.returncode == 0, run.stdout + run.stderr
    assert published_target(home_copy) != first_build  # a new build was published
    assert mart_hashes(home_copy) == before


def _task_states(home: Path) -> dict[str, str]:
    """Task id → state of the last nightly run, from Airflow's own metadata database."""
    with closing(sqlite3.connect(home / "airflow" / "airflow.db")) as con:
        [run_id] = con.execute("select run_id from dag_run where dag_id = 'bcd35_nightly' "
                               "order by id desc limit 1").fetchone()
        rows = con.execute("select task_id, state from task_instance where run_id = ?",
                           (run_id,)).fetchall()
    return dict(rows)


def test_night_with_nothing_new_builds_nothing(home_copy: Path):
    published = published_target(home_copy)
    builds = sorted((home_copy / "warehouse" / "builds").iterdir())
    run = bcd35(home_copy, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "nothing new" in run.stdout
    assert published_target(home_copy) == published
    assert sorted((home_copy / "warehouse" / "builds").iterdir()) == builds
    assert _task_states(home_copy) == {"ingest": "success", "build": "skipped",
                                       "audit": "skipped", "publish": "skipped"}
    assert "KHÔNG CÓ GÌ MỚI" in bcd35(home_copy, "status").stdout


def test_planted_fault_blocks_publication(home_copy: Path):
    """A bulletin distribution that does not add up withholds Hàm Yên 2024: its published
    figures and report stay the last good ones."""
    from bcd35.partitions import published_partitions
    from tests.e2e.test_report_cli import mart_kpis

    before = mart_kpis(published_target(home_copy), "ham_yen", 2024)
    report_before = tree_digest(home_copy / "exports")
    shutil.copy(FIXTURES / "distribution_issue1_does_not_add_up.csv", home_copy / "inbox")

    run = bcd35(home_copy, "run")

    assert run.returncode == 3, run.stdout + run.stderr
    assert "bulletin_reconciliation" in run.stderr
    assert "1/2024" in run.stderr  # names the issue
    assert published_partitions(published_target(home_copy))[("ham_yen", 2024)][0] \
        == "withheld"
    assert mart_kpis(published_target(home_copy), "ham_yen", 2024) == before
    refused = bcd35(home_copy, "report", "--year", "2024")
    assert refused.returncode != 0
    assert "bulletin_reconciliation" in refused.stderr
    assert tree_digest(home_copy / "exports") == report_before


def test_file_with_one_bad_row_is_quarantined_whole(home_copy: Path):
    bad = "meeting_log_line3_attendees_not_a_number.csv"
    shutil.copy(FIXTURES / bad, home_copy / "inbox")

    run = bcd35(home_copy, "run")
    assert run.returncode == 4, run.stdout + run.stderr  # new files quarantined: its own code
    assert f"! {bad}: " in run.stdout

    status = bcd35(home_copy, "status")
    assert bad in status.stdout
    reports = list((home_copy / "quarantine").glob("*.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text(encoding="utf-8"))
    [error] = report["errors"]
    assert (error["line"], error["value"]) == (3, "mười lăm")
    assert "Số đại biểu" in error["column"]
    # none of the file's rows reached the marts: its valid rows would add 2 meetings
    report_run = bcd35(home_copy, "report", "--year", "2024")
    assert report_run.returncode == 0, report_run.stderr
    assert kpis(home_copy / "exports" / "2024", 2024)["hoi_nghi_tong_so"] == 136
