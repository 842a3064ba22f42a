"""``bcd35 release``: a filed report never changes silently.

One home per module (a copy of the session's demo home) carries the whole story: a release,
then a night with a new file (a new publication), the annual-report DAG, a rollback and
pruning; the release must be byte-for-byte what it was, and nobody may write into it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bcd35.config import resolve_home
from bcd35.release import RELEASE_FILE, file_hashes, is_read_only, list_releases, sha256_file
from bcd35.warehouse.duckdb import DuckDBWarehouse
from tests.support import (
    FIXTURES,
    bcd35,
    clean_env,
    published_target,
    run_annual_report_dag,
    tree_digest,
)

YEAR = 2024
COMMITTEE = "ham_yen"


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("release") / "home"
    shutil.copytree(demo_home, target, symlinks=True)
    return target


@pytest.fixture(scope="module")
def first(home: Path) -> Path:
    done = bcd35(home, "release", "--year", str(YEAR), "--provisional",
                 "--note", "Báo cáo sơ bộ tháng 12")
    assert done.returncode == 0, done.stdout + done.stderr
    return home / "releases" / COMMITTEE / str(YEAR) / "r1"


def test_release_holds_every_report_file_the_partition_rows_and_their_hashes(home, first):
    doc = json.loads((first / RELEASE_FILE).read_text(encoding="utf-8"))
    manifest = json.loads(published_target(home).with_suffix(".json").read_text("utf-8"))
    assert (doc["year"], doc["committee"], doc["number"], doc["status"]) == \
        (YEAR, COMMITTEE, 1, "provisional")
    assert doc["note"] == "Báo cáo sơ bộ tháng 12"
    assert doc["build_id"] == manifest["build_id"] and doc["code_version"]
    # every file of the report, as `bcd35 report` writes it
    for name in (f"kpi_{YEAR}.json", f"kpi_{YEAR}.csv", f"bao_cao_kpi_{YEAR}.xlsx",
                 f"bao_cao_{YEAR}.docx", "index.html", "audit/SHA256SUMS",
                 "audit/manifest.json"):
        assert (first / name).is_file(), name
    assert list((first / "bieu_do").glob("*.png"))
    # RELEASE.json hashes exactly the files there are
    assert doc["files"] == file_hashes(first)
    # the partition's rows: the KPI figures of the release are those of its Parquet
    with duckdb.connect() as con:
        rows = dict(con.execute(
            "select kpi_code, value from read_parquet(?)",
            [str(first / "data" / "mart_kpi_annual.parquet")]).fetchall())
        facts = con.execute("select count(*), count(distinct committee_code), "
                            "min(meeting_year), max(meeting_year) from read_parquet(?)",
                            [str(first / "data" / "fct_meetings.parquet")]).fetchone()
    assert {k: float(v) for k, v in doc["kpis"].items() if v is not None} == \
        {k: float(v) for k, v in rows.items() if v is not None}
    assert facts[0] > 0 and facts[1:] == (1, YEAR, YEAR)
    assert doc["partition_rows"]["marts.fct_meetings"] == facts[0]
    # every source file behind it, with its original's hash as kept in the home
    assert doc["sources"]
    for source in doc["sources"]:
        assert source["original_sha256"] == source["sha256"]
        assert sha256_file(home / source["original"]) == source["sha256"]
    assert is_read_only(first)


def test_release_is_unchanged_by_nights_the_annual_dag_rollback_and_pruning(home, first):
    frozen = tree_digest(first)
    modes = {p: p.stat().st_mode for p in [first, *first.rglob("*")]}
    published = published_target(home)
    # a night with a new meeting: a new build is published, the figures change
    shutil.copy(FIXTURES / "meeting_log_one_new_meeting.csv", home / "inbox")
    night = bcd35(home, "run")
    assert night.returncode == 0, night.stdout + night.stderr
    assert published_target(home) != published
    dag = run_annual_report_dag(home, [YEAR])
    assert "STATE success" in dag.stdout, dag.stdout + dag.stderr
    draft = json.loads((home / "exports" / str(YEAR) / f"kpi_{YEAR}.json").read_text("utf-8"))
    released = json.loads((first / f"kpi_{YEAR}.json").read_text("utf-8"))
    assert draft["build_id"] != released["build_id"]  # the draft moved on; the release did not
    rollback = bcd35(home, "rollback")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    removed = DuckDBWarehouse().prune(resolve_home(home), keep=0, keep_failed=0)
    assert removed  # the retracted build of the night is gone; the release does not need it

    assert tree_digest(first) == frozen
    assert {p: p.stat().st_mode for p in [first, *first.rglob("*")]} == modes
    assert [r.name for r in list_releases(resolve_home(home), COMMITTEE, YEAR)] == ["r1"]


def test_nobody_but_a_deliberate_chmod_writes_into_a_release(home, first):
    """The release's owner (here a plain user: root ignores permissions) can neither change a
    file nor add one."""
    owner = 65534
    paths = [first, *first.rglob("*")]
    for path in paths:
        os.chown(path, owner, owner)
    victim = first / f"kpi_{YEAR}.json"
    script = ("import os, sys\n"
              "os.setgid(65534); os.setuid(65534)\n"
              "refused = []\n"
              "for act in (lambda: open(sys.argv[1], 'ab'), "
              "lambda: open(os.path.join(sys.argv[2], 'new.txt'), 'w'), "
              "lambda: os.unlink(sys.argv[1])):\n"
              "    try:\n        act()\n    except PermissionError:\n"
              "        refused.append(True)\n"
              "print(len(refused))\n")
    try:
        before = victim.read_bytes()
        child = subprocess.run([sys.executable, "-c", script, str(victim), str(first)],
                               capture_output=True, text=True, timeout=60)
    finally:
        for path in paths:
            os.chown(path, 0, 0)
    assert child.stdout.strip() == "3", child.stdout + child.stderr
    assert victim.read_bytes() == before


def _edit_manifest(home: Path, change) -> None:
    path = published_target(home).with_suffix(".json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.chmod(0o640)
    path.write_text(json.dumps(doc), encoding="utf-8")


def test_release_of_an_unvalidated_build_is_refused(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    _edit_manifest(home, lambda doc: doc["validation"].update(success=False))

    done = bcd35(home, "release", "--year", str(YEAR), "--provisional", "--note", "x")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "không đạt kiểm tra" in done.stderr and "did not pass validation" in done.stderr
    assert not (home / "releases").exists() or not any((home / "releases").rglob("RELEASE.json"))


def test_release_of_a_withheld_year_is_refused(demo_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    _edit_manifest(home, lambda doc: doc["validation"].setdefault("withheld", []).append(
        {"committee_code": COMMITTEE, "year": YEAR, "checks": ["meetings_add_up"],
         "messages": ["Hội nghị không khớp / meetings do not add up"]}))

    done = bcd35(home, "release", "--year", str(YEAR), "--provisional", "--note", "x")

    assert done.returncode == 2, done.stdout + done.stderr
    assert "withheld" in done.stderr and "meetings_add_up" not in done.stdout
    assert not (home / "releases").exists() or not any((home / "releases").rglob("RELEASE.json"))


def _docx_text(path: Path) -> tuple[str, str]:
    """(headers of every page, body) of a Word file."""
    from docx import Document

    doc = Document(str(path))
    section = doc.sections[0]
    headers = "\n".join(p.text for h in (section.first_page_header, section.header)
                        for p in h.paragraphs)
    return headers, "\n".join(p.text for p in doc.paragraphs)


def _xlsx_marks(path: Path) -> list[str]:
    """What every sheet says about itself: its cells' text and its printed page header."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        shared = z.read("xl/sharedStrings.xml").decode()
        sheets = [z.read(n).decode() for n in sorted(z.namelist())
                  if n.startswith("xl/worksheets/sheet")]
    return [shared + sheet for sheet in sheets], sheets


def test_drafts_and_releases_say_what_they_are_on_every_page_and_sheet(home, first):
    doc = json.loads((first / RELEASE_FILE).read_text(encoding="utf-8"))
    draft_dir = home / "exports" / str(YEAR)
    draft_build = json.loads((draft_dir / f"kpi_{YEAR}.json").read_text("utf-8"))["build_id"]
    for folder, must, must_not in (
            (draft_dir, ["DỰ THẢO / draft", draft_build], ["Bản phát hành", "SƠ BỘ"]),
            (first, ["SỐ LIỆU SƠ BỘ / provisional", "Bản phát hành r1, ngày ",
                     doc["build_id"]], ["DỰ THẢO"])):
        headers, _ = _docx_text(folder / f"bao_cao_{YEAR}.docx")
        page = (folder / "index.html").read_text(encoding="utf-8")
        _, sheets = _xlsx_marks(folder / f"bao_cao_kpi_{YEAR}.xlsx")
        assert len(sheets) == 3
        for text in must:
            assert text in headers, (folder, text)
            assert text in page.split("<header>")[0], (folder, text)  # the band on top
            for sheet in sheets:  # the printed header of every sheet
                assert text.replace("&", "&amp;") in sheet, (folder, text)
        for text in must_not:
            assert text not in headers and text not in page, (folder, text)


def test_previous_year_column_says_how_many_months_a_partial_year_covers(home):
    """The demo has only December 2023 of posts: the 2024 report compares 561 posts with 38
    and must say that 2023 is 1 month of 12."""
    draft = home / "exports" / str(YEAR)
    assert bcd35(home, "report", "--year", str(YEAR)).returncode == 0
    with open(draft / f"kpi_{YEAR}.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r[0]: r for r in csv.reader(fh)}
    assert rows["fanpage_tin_bai"][6] == "38"
    assert "Năm 2023 chỉ có số liệu một phần năm (1/12 tháng)" in rows["fanpage_tin_bai"][7]
    doc = json.loads((draft / f"kpi_{YEAR}.json").read_text(encoding="utf-8"))
    posts = next(k for k in doc["kpis"] if k["code"] == "fanpage_tin_bai")
    assert (posts["previous_year_months"], posts["previous_year_release"]) == (1, None)
    assert "1/12 tháng" in (draft / "index.html").read_text(encoding="utf-8")


def test_previous_year_column_comes_from_the_final_release_of_that_year(home):
    """When the office has filed Y−1 as final, the report of Y compares with what was filed.
    Here the office declares that nothing is periodic for it (its own reference data), so
    2023 may be filed as final."""
    reference = home / "reference" / "periodic_kinds.csv"
    reference.write_text("committee_code,kind,periodic\n" + "".join(
        f"{COMMITTEE},{kind},false\n" for kind in ("meetings", "bulletin_issues", "posts",
                                                    "shares")), encoding="utf-8")
    try:
        filed = bcd35(home, "release", "--year", "2023", "--note", "Năm 2023")
        assert filed.returncode == 0, filed.stdout + filed.stderr
    finally:
        reference.unlink()
    r2023 = json.loads((home / "releases" / COMMITTEE / "2023" / "r1" / RELEASE_FILE)
                       .read_text(encoding="utf-8"))
    assert r2023["status"] == "final"
    assert bcd35(home, "report", "--year", str(YEAR)).returncode == 0
    doc = json.loads((home / "exports" / str(YEAR) / f"kpi_{YEAR}.json").read_text("utf-8"))
    for k in doc["kpis"]:
        assert k["previous_year"] == r2023["kpis"][k["code"]], k["code"]
        assert k["previous_year_release"] == "r1" and not k["is_previous_year_partial"]
    with open(home / "exports" / str(YEAR) / f"kpi_{YEAR}.csv", encoding="utf-8-sig",
              newline="") as fh:
        notes = {r[0]: r[7] for r in csv.reader(fh)}
    assert "Năm 2023 theo bản phát hành chính thức r1" in notes["fanpage_tin_bai"]
    # the default again: 2023 is not complete, and the refusal says so
    again = bcd35(home, "release", "--year", "2023", "--note", "x")
    assert again.returncode == 2 and "01–12/2023" in again.stderr


def _flip_one_byte(path: Path) -> tuple[bytes, int]:
    before, mode = path.read_bytes(), path.stat().st_mode
    path.chmod(0o644)
    path.write_bytes(before[:-1] + bytes([before[-1] ^ 1]))
    return before, mode


def _put_back(path: Path, saved: tuple[bytes, int]) -> None:
    path.write_bytes(saved[0])
    path.chmod(saved[1])


def test_verify_release_passes_on_a_good_release_and_rebuilds_every_figure(home, first):
    done = bcd35(home, "verify-release", str(first))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "KHỚP / VERIFIED" in done.stdout and "rebuilt and compared" in done.stdout


def test_verify_release_fails_on_a_changed_byte(home, first):
    victim = first / f"kpi_{YEAR}.csv"
    saved = _flip_one_byte(victim)
    try:
        done = bcd35(home, "verify-release", str(first), "--hashes-only")
    finally:
        _put_back(victim, saved)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"file changed: kpi_{YEAR}.csv" in done.stderr
    assert bcd35(home, "verify-release", str(first), "--hashes-only").returncode == 0


def test_verify_release_fails_when_an_original_was_tampered_with(home, first):
    doc = json.loads((first / RELEASE_FILE).read_text(encoding="utf-8"))
    source = doc["sources"][0]
    victim = home / source["original"]
    saved = _flip_one_byte(victim)
    try:
        done = bcd35(home, "verify-release", str(first))
    finally:
        _put_back(victim, saved)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"original tampered with: {source['file']}" in done.stderr
    assert "KHÔNG KHỚP / NOT VERIFIED" in done.stderr


def _annual(build: Path) -> list[tuple]:
    with duckdb.connect(str(build), read_only=True) as con:
        return con.execute("select committee_code, year, kpi_code, value "
                           "from marts.mart_kpi_annual order by all").fetchall()


def test_backup_during_a_running_night_restores_into_a_fresh_home_that_runs(home, first,
                                                                             tmp_path):
    import time

    points = tmp_path / "failpoints"
    points.mkdir()
    point = "publish:before_switch"
    os.mkfifo(points / f"{point}.fifo")
    env = clean_env()
    env.update(BCD35_FAILPOINT=point, BCD35_FAILPOINT_DIR=str(points))
    bcd35_bin = str(Path(sys.executable).with_name("bcd35"))
    night = subprocess.Popen([bcd35_bin, "run", "--force", "--home", str(home)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 600
        while not (points / f"{point}.reached").exists():  # the night holds the home now
            assert night.poll() is None, night.stdout.read()
            assert time.monotonic() < deadline, "the night never reached the failpoint"
            time.sleep(0.2)  # polling a file the night writes, bounded by the deadline
        published = published_target(home)
        kpis_then = _annual(published)
        releases_then = tree_digest(home / "releases")
        dest = tmp_path / "backup"
        done = bcd35(home, "backup", str(dest), "--with-secrets")
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        with open(points / f"{point}.fifo", "w", encoding="utf-8") as fifo:
            fifo.write("go\n")
        out = night.communicate(timeout=900)[0]
    assert night.returncode == 0, out
    assert (dest / "warehouse" / "builds" / published.name).is_file()
    assert not [p for p in (dest / "warehouse" / "builds").glob("*.duckdb")
                if p.name != published.name]  # the candidate being written is not copied

    restored = tmp_path / "restored"
    back = bcd35(restored, "restore", str(dest))
    assert back.returncode == 0, back.stdout + back.stderr
    assert _annual(published_target(restored)) == kpis_then
    assert tree_digest(restored / "releases") == releases_then
    check = bcd35(restored, "verify-release", str(restored / "releases" / COMMITTEE / str(YEAR)
                                                   / "r1"), "--hashes-only")
    assert check.returncode == 0, check.stdout + check.stderr
    # the next night runs there
    nxt = bcd35(restored, "run")
    assert nxt.returncode == 0, nxt.stdout + nxt.stderr
    # a damaged backup is refused before anything is written
    victim = next(p for p in (dest / "originals").rglob("*") if p.is_file())
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes() + b"x")
    refused = bcd35(tmp_path / "again", "restore", str(dest))
    assert refused.returncode == 2 and "damaged" in refused.stderr
    assert not (tmp_path / "again").exists()
