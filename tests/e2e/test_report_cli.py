"""The office's ``bcd35 report`` options of the README, with the real CLI on a real home:
``--allow-stale`` after a blocked run, and ``--committee CODE``."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bcd35 import runs
from bcd35.config import resolve_home
from tests.support import FIXTURES, bcd35, kpis, published_target, tree_digest

YEAR = 2024
TEXT_SUFFIXES = {".json", ".csv", ".txt", ".html", ""}  # "" = SHA256SUMS


def mart_kpis(build: Path, committee: str, year: int) -> dict[str, float | None]:
    with duckdb.connect(str(build), read_only=True) as con:
        rows = con.execute(
            "select kpi_code, value from marts.mart_kpi_annual "
            "where committee_code = ? and year = ?", [committee, year]).fetchall()
    return {code: None if value is None else float(value) for code, value in rows}


def report_text(directory: Path) -> str:
    """Every text file of a report folder (tables, audit pack, page), concatenated."""
    return "\n".join(p.read_text(encoding="utf-8-sig") for p in sorted(directory.rglob("*"))
                     if p.is_file() and p.suffix in TEXT_SUFFIXES)


# --- --allow-stale ------------------------------------------------------------------------------

def test_allow_stale_reports_the_last_good_build_after_a_blocked_run(home_copy: Path):
    published = published_target(home_copy)
    good = json.loads(published.with_suffix(".json").read_text(encoding="utf-8"))
    assert good["validation"]["success"] is True
    out = home_copy / "exports" / str(YEAR)
    report_before = tree_digest(out)
    # a night with one more meeting (valid) whose build fails: a raw file was changed behind
    # the ingestion's back to name a committee that does not exist (a dbt relationships test
    # fails: a failure that belongs to no partition blocks the whole night)
    shutil.copy(FIXTURES / "meeting_log_one_new_meeting.csv", home_copy / "inbox")
    [victim] = [p for p in (home_copy / "raw" / "meeting_log").glob("*.parquet")
                if p.name != "_empty.parquet"][:1]
    table = pq.read_table(victim)
    index = table.schema.get_field_index("_committee_code")
    victim.chmod(0o640)
    pq.write_table(table.set_column(index, table.schema.field(index), pa.array(
        ["khong_ton_tai"] * table.num_rows, table.schema.field(index).type)), victim)

    run = bcd35(home_copy, "run")

    assert run.returncode == 1, run.stdout + run.stderr
    [failed] = runs.recent(resolve_home(home_copy), limit=1)
    assert failed.status == "build_failed" and failed.run_id != good["run_id"]
    assert published_target(home_copy) == published
    good_figures = mart_kpis(published, "ham_yen", YEAR)
    assert good_figures["hoi_nghi_thong_tin_thoi_su"] == 96

    # without --allow-stale: refused, naming the failed run, the check and the way out
    refused = bcd35(home_copy, "report", "--year", str(YEAR))
    assert refused.returncode == 2, refused.stdout
    assert "TỪ CHỐI / REFUSED" in refused.stderr
    for named in (failed.run_id, "build_failed", good["run_id"], "--allow-stale"):
        assert named in refused.stderr, named
    assert tree_digest(out) == report_before

    stale = bcd35(home_copy, "report", "--year", str(YEAR), "--allow-stale")

    assert stale.returncode == 0, stale.stdout + stale.stderr
    assert f"(build {good['build_id']})" in stale.stdout
    assert published_target(home_copy) == published
    # the figures are the published build's, not the failed candidate's
    got = kpis(out, YEAR)
    assert got.keys() == good_figures.keys()
    assert got == {code: pytest.approx(value, abs=0.005) for code, value in good_figures.items()}
    assert got["hoi_nghi_thong_tin_thoi_su"] == 96
    # the report and its audit pack say which build and run they come from
    doc = json.loads((out / f"kpi_{YEAR}.json").read_text(encoding="utf-8"))
    assert (doc["build_id"], doc["run_id"]) == (good["build_id"], good["run_id"])
    assert doc["validation"]["success"] is True
    audit = out / "audit"
    assert json.loads((audit / "manifest.json").read_text(encoding="utf-8")) == good
    validation = json.loads((audit / "validation.json").read_text(encoding="utf-8"))
    assert (validation["build_id"], validation["run_id"]) == (good["build_id"], good["run_id"])
    assert validation["success"] is True and validation["failures"] == []
    summary = (audit / "kiem_tra.txt").read_text(encoding="utf-8")
    assert re.search(rf"run id:\s+{re.escape(good['run_id'])}$", summary, re.M)
    assert re.search(rf"build id:\s+{re.escape(good['build_id'])}$", summary, re.M)
    assert "ĐẠT / PASSED" in summary
    listed = {line.split("  ", 1)[1] for line in
              (audit / "SHA256SUMS").read_text(encoding="utf-8").splitlines()}
    assert "meeting_log_one_new_meeting.csv" not in listed  # not the new file
    text = report_text(out)
    assert failed.run_id not in text
    # byte for byte the report that build gave before the failed night
    assert tree_digest(out) == report_before


# --- --committee ---------------------------------------------------------------------------------

def test_committee_option_with_the_home_committee_writes_the_usual_report(home_copy: Path):
    out = home_copy / "exports" / str(YEAR)
    before = tree_digest(out)

    done = bcd35(home_copy, "report", "--year", str(YEAR), "--committee", "ham_yen")

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"→ {out}\n" in done.stdout
    assert tree_digest(out) == before
    assert not (home_copy / "exports" / "ham_yen").exists()


def test_committee_without_figures_in_the_published_build_is_refused(home_copy: Path):
    exports = tree_digest(home_copy / "exports")

    done = bcd35(home_copy, "report", "--year", str(YEAR), "--committee", "yen_son")

    assert done.returncode == 2, done.stdout
    assert "TỪ CHỐI / REFUSED" in done.stderr
    assert f"no figures for {YEAR} (yen_son)" in done.stderr
    assert not (home_copy / "exports" / "yen_son").exists()
    assert tree_digest(home_copy / "exports") == exports


YEN_SON_MEETINGS = (  # three meetings of another committee, bytes of no demo file
    "\ufeffSTT;Ngày;Tên hội nghị;Loại hội nghị;Đơn vị tổ chức;Xã/Thị trấn;Hình thức;Chủ trì;"
    "Số đại biểu;Ghi chú\n"
    "1;12/03/2024;Hội nghị thông tin thời sự trong Đảng quý I/2024;Thông tin thời sự;"
    "Đảng ủy xã Bình Xa;Xã Bình Xa;Trực tiếp;Đ/c Hoàng Thị Mai;40;\n"
    "2;18/09/2024;Hội nghị thông tin thời sự trong Đảng quý III/2024;Thông tin thời sự;"
    "Đảng ủy xã Bình Xa;Xã Bình Xa;Trực tiếp;Đ/c Hoàng Thị Mai;45;\n"
    "3;20/11/2024;Hội nghị tuyên truyền pháp luật;Khác;"
    "Đảng ủy xã Bình Xa;Xã Bình Xa;Trực tiếp;Đ/c Hoàng Thị Mai;30;\n"
)


def test_report_of_another_committee_of_the_home(home_copy: Path):
    """README, several committees: files under inbox/<code>/ of a committee listed in
    HOME/committees.csv are that committee's; ``--committee`` writes exports/<code>/Y/."""
    (home_copy / "committees.csv").write_text(
        "committee_code,name_vi\nyen_son,Ban Chỉ đạo 35 huyện Yên Sơn\n", encoding="utf-8")
    (home_copy / "inbox" / "yen_son").mkdir()
    (home_copy / "inbox" / "yen_son" / "so_hoi_nghi_2024.csv").write_text(
        YEN_SON_MEETINGS, encoding="utf-8")
    home_report = home_copy / "exports" / str(YEAR)
    home_before = tree_digest(home_report)

    run = bcd35(home_copy, "run")
    assert run.returncode == 0, run.stdout + run.stderr

    done = bcd35(home_copy, "report", "--year", str(YEAR), "--committee", "yen_son")
    assert done.returncode == 0, done.stdout + done.stderr
    out = home_copy / "exports" / "yen_son" / str(YEAR)
    assert f"→ {out}\n" in done.stdout
    got = kpis(out, YEAR)
    assert got["hoi_nghi_thong_tin_thoi_su"] == 2  # Yên Sơn's, not Hàm Yên's 96
    assert got["hoi_nghi_tong_so"] == 3
    assert got["luot_dai_bieu"] == 115
    assert got["ban_tin_so_cuon"] in (None, 0)  # Hàm Yên's bulletins are not Yên Sơn's
    assert mart_kpis(published_target(home_copy), "yen_son", YEAR)["hoi_nghi_tong_so"] == 3
    sources = json.loads((out / "audit" / "sources.json").read_text(encoding="utf-8"))
    assert "yen_son/so_hoi_nghi_2024.csv" in {s["file"] for s in sources}
    assert "Yên Sơn" in (out / "audit" / "kiem_tra.txt").read_text(encoding="utf-8")
    # the home committee's report is where it was, untouched
    assert tree_digest(home_report) == home_before
    assert kpis(home_report, YEAR)["hoi_nghi_thong_tin_thoi_su"] == 96
