"""Year close and restatement, as the office lives it (one home for the whole module).

December: the collaborators' shares of July–December and the posts of October–December are not
in yet. A final release is refused, naming the missing months; a provisional one is filed
(r1). The files arrive, with a meeting log of the year that goes to quarantine: the final
release is refused again, naming the quarantined file. The clerk takes the bad file out; the
final release (r2) carries the restatement: the KPIs that changed (old, new, difference) and
the source files that caused them. ``bcd35 diff`` prints the same.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from tests.support import FIXTURES, bcd35

YEAR = 2024
COMMITTEE = "ham_yen"
LATE = ("chia_se_ctv_6thang_cuoi_2024.csv", "Oct-01-2024_Dec-31-2024_2387548734888177.csv")
BAD_FIXTURE = "meeting_log_line3_attendees_not_a_number.csv"  # quarantined whole
BAD = "so_hoi_nghi_thang_12_2024.csv"  # as the clerk named it: a file of 2024


@pytest.fixture(scope="module")
def story(demo_home, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("close")
    home = root / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    aside = root / "aside"
    aside.mkdir()
    for name in LATE:
        shutil.move(home / "inbox" / "demo" / name, aside / name)
    out = {"home": home}
    out["night1"] = bcd35(home, "run", "--accept-withdrawals")
    out["final_refused"] = bcd35(home, "release", "--year", str(YEAR), "--note", "Chính thức")
    out["r1"] = bcd35(home, "release", "--year", str(YEAR), "--provisional",
                      "--note", "Báo cáo sơ bộ, tháng 12")
    out["status_r1"] = bcd35(home, "status")
    for name in LATE:
        shutil.move(aside / name, home / "inbox" / "demo" / name)
    shutil.copy(FIXTURES / BAD_FIXTURE, home / "inbox" / BAD)
    out["night2"] = bcd35(home, "run")
    out["diff_current"] = bcd35(home, "diff", "--year", str(YEAR))
    out["quarantine_refused"] = bcd35(home, "release", "--year", str(YEAR),
                                      "--note", "Chính thức")
    (home / "inbox" / BAD).unlink()  # the clerk takes the bad file out
    out["r2"] = bcd35(home, "release", "--year", str(YEAR), "--note", "Chính thức")
    out["diff"] = bcd35(home, "diff", "--year", str(YEAR), "r1", "r2")
    out["status"] = bcd35(home, "status")
    return out


def _ok(done) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_final_release_of_an_incomplete_year_is_refused_naming_the_missing_months(story):
    assert story["night1"].returncode == 0, story["night1"].stdout + story["night1"].stderr
    refused = story["final_refused"]
    assert refused.returncode == 2, refused.stdout + refused.stderr
    text = refused.stderr
    assert "chưa đủ để phát hành chính thức" in text and "not complete enough" in text
    assert "no collaborator shares in month(s): 07–12/2024" in text
    assert "no posts in month(s): 10–12/2024" in text
    assert "meetings in month" not in text  # what is complete is not listed
    assert "--provisional" in text
    _ok(story["r1"])
    assert "SƠ BỘ / provisional" in story["r1"].stdout
    assert "không kiểm tra" in story["r1"].stdout or "not checked" in story["r1"].stdout
    # status: the year is incomplete, with its provisional release
    status = story["status_r1"].stdout
    assert "chưa đủ / incomplete (6/12 tháng / months)" in status
    assert "r1 sơ bộ / provisional" in status


def test_a_final_release_is_refused_while_a_file_of_the_year_is_in_quarantine(story):
    assert story["night2"].returncode == 4, story["night2"].stdout + story["night2"].stderr
    refused = story["quarantine_refused"]
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"file in quarantine: {BAD}" in refused.stderr
    assert "in month(s)" not in refused.stderr  # the late files arrived: no month is missing
    releases = story["home"] / "releases" / COMMITTEE / str(YEAR)
    assert sorted(p.name for p in releases.iterdir() if not p.name.startswith(".")) == \
        ["r1", "r2"]  # the refusal wrote nothing (r2 came after the clerk's fix)


def test_the_final_release_restates_the_provisional_one(story):
    _ok(story["r2"])
    assert "CHÍNH THỨC / final" in story["r2"].stdout
    folder = story["home"] / "releases" / COMMITTEE / str(YEAR)
    r1 = json.loads((folder / "r1" / "RELEASE.json").read_text(encoding="utf-8"))
    r2 = json.loads((folder / "r2" / "RELEASE.json").read_text(encoding="utf-8"))
    assert (r2["status"], r2["restates"]) == ("final", "r1")
    restated = json.loads((folder / "r2" / "dinh_chinh_r2.json").read_text(encoding="utf-8"))
    changed = {k["code"]: k for k in restated["kpis"]}
    # exactly the KPIs whose value moved, with old, new and the difference
    assert set(changed) == {c for c in r2["kpis"] if r1["kpis"][c] != r2["kpis"][c]}
    for code in ("ctv_tin_bai_chia_se", "fanpage_tin_bai", "fanpage_luot_tiep_can"):
        k = changed[code]
        assert (k["old"], k["new"]) == (r1["kpis"][code], r2["kpis"][code])
        assert k["difference"] == pytest.approx(k["new"] - k["old"]) and k["difference"] > 0
    assert "hoi_nghi_tong_so" not in changed
    # the files that caused it
    added = {f["file"]: f for f in restated["files"] if f["change"] == "added"}
    assert set(added) == {f"demo/{name}" for name in LATE}
    by_sha = {s["sha256"]: s for s in r2["sources"]}
    for f in added.values():
        assert by_sha[f["sha256"]]["rows"] == f["rows"] > 0
    # the same in the CSV, the Word file and the page
    with open(folder / "r2" / "dinh_chinh_r2.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert {r[1] for r in rows[1:] if r[0] == "chỉ tiêu / kpi"} == set(changed)
    from docx import Document

    body = "\n".join(p.text for p in Document(str(folder / "r2" / f"bao_cao_{YEAR}.docx"))
                     .paragraphs)
    assert "ĐÍNH CHÍNH SO VỚI BẢN R1" in body and "ctv_tin_bai_chia_se" in body
    page = (folder / "r2" / "index.html").read_text(encoding="utf-8")
    assert 'id="restated-kpis"' in page and 'data-code="fanpage_tin_bai"' in page
    assert "SỐ LIỆU SƠ BỘ" not in page  # a final release is not marked provisional
    # r1 has no restatement: it is the first of its year
    assert not list((folder / "r1").glob("dinh_chinh_*"))


def test_diff_prints_the_restatement_between_releases_and_since_the_latest(story):
    _ok(story["diff"])
    out = story["diff"].stdout
    print(out)  # shown with -s: what docs/office.md quotes
    assert "r1 (provisional" in out and "→ r2" in out
    folder = story["home"] / "releases" / COMMITTEE / str(YEAR)
    restated = json.loads((folder / "r2" / "dinh_chinh_r2.json").read_text(encoding="utf-8"))
    for k in restated["kpis"]:
        assert f"  {k['code']}: " in out
    for name in LATE:
        assert f"thêm / added: demo/{name}" in out
    # before r2: r1 against the figures published by night 2
    _ok(story["diff_current"])
    current = story["diff_current"].stdout
    assert "→ hiện tại / current" in current
    assert "ctv_tin_bai_chia_se" in current and f"demo/{LATE[0]}" in current
    status = story["status"].stdout
    assert "đủ / complete (12/12 tháng / months)" in status
    assert "r2 chính thức / final" in status
