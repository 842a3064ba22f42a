"""The parts of releases that need no night: which kinds are periodic, the months named in a
refusal, the restatement between two releases, the draft/release stamp."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bcd35.completeness import Completeness, ReferenceError_, months_text, periodic_kinds
from bcd35.config import Home
from bcd35.report.stamp import Stamp, draft
from bcd35.restatement import render_text, restatement_between

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "release"


def _home(tmp_path: Path, fixture: str | None) -> Home:
    home = Home(tmp_path / "home").ensure()
    if fixture:
        (home.root / "reference").mkdir()
        shutil.copy(FIXTURES / fixture, home.root / "reference" / "periodic_kinds.csv")
    return home


def test_every_kind_is_periodic_by_default(tmp_path):
    assert periodic_kinds(_home(tmp_path, None), "ham_yen") == \
        ["meetings", "bulletin_issues", "posts", "shares"]


def test_the_office_overrides_the_default_for_its_committee_only(tmp_path):
    home = _home(tmp_path, "periodic_kinds_no_bulletin.csv")
    assert periodic_kinds(home, "ham_yen") == ["meetings", "posts", "shares"]
    assert periodic_kinds(home, "yen_son") == ["meetings", "bulletin_issues", "shares"]
    assert periodic_kinds(home, "chiem_hoa") == ["meetings", "bulletin_issues", "posts",
                                                 "shares"]


def test_an_unknown_kind_is_refused_naming_file_line_column_and_value(tmp_path):
    home = _home(tmp_path, "periodic_kinds_line3_unknown_kind.csv")
    with pytest.raises(ReferenceError_) as refused:
        periodic_kinds(home, "ham_yen")
    text = str(refused.value)
    assert "periodic_kinds.csv, dòng/line 3, cột/column 'kind' = 'newsletters'" in text
    assert "unknown kind" in text


def test_months_are_named_with_runs_shortened():
    assert months_text([7, 8, 9, 10, 11, 12], 2024) == "07–12/2024"
    assert months_text([1, 3, 4, 12], 2024) == "01/2024, 03–04/2024, 12/2024"


def test_a_refusal_lists_every_gap_and_a_complete_year_has_none():
    gaps = Completeness("ham_yen", 2024, ["meetings", "shares"],
                        missing={"meetings": [], "shares": [7, 8]},
                        quarantined=["so_2024.xlsx"])
    assert not gaps.complete and gaps.months_covered() == 10
    text = gaps.refusal()
    assert "no collaborator shares in month(s): 07–08/2024" in text
    assert "file in quarantine: so_2024.xlsx" in text and "meetings" not in text
    assert Completeness("ham_yen", 2024, ["meetings"], missing={"meetings": []}).complete


def _release(kpis: dict, sources: list[dict]) -> dict:
    return {"year": 2024, "committee": "ham_yen", "release": "r1", "status": "provisional",
            "released_at": "2024-12-20T03:00:00+00:00", "kpis": kpis, "sources": sources}


def test_restatement_lists_changed_kpis_and_the_files_that_changed():
    a = {"sha256": "a" * 64, "file": "so_hoi_nghi.xlsx", "kind": "meeting_log", "rows": 130}
    b = {"sha256": "b" * 64, "file": "chia_se_cuoi.csv", "kind": "collaborator_shares",
         "rows": 507}
    old = _release({"hoi_nghi_tong_so": 136, "ctv_tin_bai_chia_se": 366,
                    "fanpage_tin_bai_binh_quan_ngay": 1.2, "khen_thuong_tap_the": None},
                   [a])
    r = restatement_between(old, {"hoi_nghi_tong_so": 136, "ctv_tin_bai_chia_se": 873,
                                  "fanpage_tin_bai_binh_quan_ngay": 1.53,
                                  "khen_thuong_tap_the": 3}, [b], "r2")
    changed = {k["code"]: (k["old"], k["new"], k["difference"]) for k in r["kpis"]}
    assert changed == {"ctv_tin_bai_chia_se": (366, 873, 507),
                       "fanpage_tin_bai_binh_quan_ngay": (1.2, 1.53, 0.33),
                       "khen_thuong_tap_the": (None, 3, None)}
    assert [(f["change"], f["file"]) for f in r["files"]] == \
        [("added", "chia_se_cuoi.csv"), ("withdrawn", "so_hoi_nghi.xlsx")]
    text = render_text(r)
    assert "ctv_tin_bai_chia_se: 366 → 873 (+507)" in text
    assert "khen_thuong_tap_the: Chưa có số liệu → 3 (-)" in text
    assert f"thêm / added: chia_se_cuoi.csv [collaborator_shares] 507 dòng / rows, sha256 " \
           f"{'b' * 64}" in text


def test_a_draft_and_a_release_say_different_things():
    assert draft("B1").lines() == ["DỰ THẢO / draft — bản dữ liệu / build B1"]
    final = Stamp("release", "B2", 2, False, date(2025, 1, 15))
    assert final.text().startswith("Bản phát hành r2, ngày 15/01/2025")
    assert "SƠ BỘ" not in final.text() and "DỰ THẢO" not in final.text()
    provisional = Stamp("release", "B1", 1, True, date(2024, 12, 20))
    assert provisional.lines()[0] == "SỐ LIỆU SƠ BỘ / provisional"
