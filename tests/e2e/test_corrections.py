"""Corrections and withdrawals through the real CLI: the inbox is the truth.

Each step is a clerk's action on the inbox followed by ``bcd35 run`` (the real Airflow DAG,
dbt, Great Expectations and DuckDB) and the KPIs of the report written afterwards.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb

from bcd35.warehouse import read_manifest
from tests.support import bcd35, kpis, published_target

TTTS = "hoi_nghi_thong_tin_thoi_su"
ALL_MEETINGS = "hoi_nghi_tong_so"
COPIES = "ban_tin_so_cuon"
SHARES = "ctv_tin_bai_chia_se"
EXIT_WITHDRAWALS_PENDING = 5


def _kpis(home: Path) -> dict:
    report = bcd35(home, "report", "--year", "2024")
    assert report.returncode == 0, report.stderr
    return kpis(home / "exports" / "2024", 2024)


def _meetings_from(home: Path, sha256: str) -> int:
    with duckdb.connect(str(home / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_meetings "
                           "where source_file_sha256 = ?", [sha256]).fetchone()[0]


def _run(home: Path, *args: str, code: int = 0) -> str:
    run = bcd35(home, "run", *args)
    assert run.returncode == code, run.stdout + run.stderr
    return run.stdout + run.stderr


def test_a_wrong_copy_withholds_the_year_and_deleting_it_publishes_the_right_figures(
        home_copy: Path) -> None:
    before = _kpis(home_copy)
    original = home_copy / "inbox" / "demo" / "cap_phat_ban_tin_2024.csv"
    lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[1].endswith(",29,Thị trấn Tân Yên\n")
    lines[1] = lines[1].replace(",29,", ",39,")  # one recipient given ten copies too many
    copy = home_copy / "inbox" / "ban_sao_cap_phat.csv"
    copy.write_text("".join(lines), encoding="utf-8")

    withheld = bcd35(home_copy, "run")  # the 2024 figures do not add up: 2024 is withheld
    assert withheld.returncode == 3 and "bulletin" in withheld.stderr, withheld.stderr

    copy.unlink()
    _run(home_copy)
    assert _kpis(home_copy) == before
    # the night started from the build that withheld 2024, whose marts hold older rows for
    # it: every model was rebuilt, not only those of the withdrawn file's kind
    manifest = read_manifest(published_target(home_copy))
    assert manifest["started_from"] is not None and manifest["rebuilt_kinds"] is None
    pack = home_copy / "exports" / "2024" / "audit"
    corrections = json.loads((pack / "corrections.json").read_text(encoding="utf-8"))
    assert [(c["file"], c["state"]) for c in corrections] == [("ban_sao_cap_phat.csv",
                                                               "withdrawn")]
    status = bcd35(home_copy, "status").stdout
    assert "ban_sao_cap_phat.csv" in status and "withdrawn" in status


def test_supersede_move_bad_version_withdraw_and_the_guard(home_copy: Path) -> None:
    before = _kpis(home_copy)
    demo = home_copy / "inbox" / "demo"
    log = demo / "hoi_nghi_quy4_bosung.csv"
    rows = log.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    assert rows[-1].startswith("8;05/12/2024;") and "thời sự" in rows[-1]

    # 1. new bytes at the same path: the last meeting taken out
    log.write_text("".join(rows[:-1]), encoding="utf-8")
    _run(home_copy)
    after_fix = _kpis(home_copy)
    assert after_fix[TTTS] == before[TTTS] - 1
    assert after_fix[ALL_MEETINGS] == before[ALL_MEETINGS] - 1

    # 2. the same bytes moved and renamed: nothing changes, nothing is rebuilt
    moved = demo / "bo_sung" / "hoi_nghi_q4.csv"
    moved.parent.mkdir()
    log.rename(moved)
    assert "nothing new" in _run(home_copy)
    assert _kpis(home_copy) == after_fix

    # 3. a bad new version at that path: quarantined, the version in effect stays
    moved.write_text("".join(rows[:-1]) + "9;06/12/2024;Hội nghị;Khác;Đảng ủy;Huyện;;;"
                     "không rõ;\n", encoding="utf-8")
    bcd35(home_copy, "run")
    assert _kpis(home_copy) == after_fix
    status = bcd35(home_copy, "status").stdout
    assert "old version still in effect" in status and "hoi_nghi_q4.csv" in status

    # 4. the file deleted: its meetings leave the warehouse (1 of 11 files); meetings it had
    # corrected (same natural key as the yearly log) fall back to the log's version
    in_effect = hashlib.sha256("".join(rows[:-1]).encode()).hexdigest()
    assert _meetings_from(home_copy, in_effect) == 7
    moved.unlink()
    _run(home_copy)
    withdrawn = _kpis(home_copy)
    assert _meetings_from(home_copy, in_effect) == 0
    assert withdrawn[TTTS] < after_fix[TTTS] and withdrawn[ALL_MEETINGS] < after_fix[ALL_MEETINGS]

    # 5. two of the ten files left deleted at once: held until the operator confirms
    for name in ("chia_se_ctv_6thang_cuoi_2024.csv", "chia_se_ctv_6thang_dau_2024.xlsx"):
        (demo / name).unlink()
    held = _run(home_copy, code=EXIT_WITHDRAWALS_PENDING)
    assert "chia_se_ctv_6thang_dau_2024.xlsx" in held and "--accept-withdrawals" in held
    assert _kpis(home_copy) == withdrawn
    _run(home_copy, "--accept-withdrawals")
    confirmed = _kpis(home_copy)
    assert not confirmed[SHARES] and confirmed[COPIES] == before[COPIES]
    assert confirmed[TTTS] == withdrawn[TTTS]


def test_originals_stay_when_files_are_withdrawn(home_copy: Path) -> None:
    originals = sorted(p.name for p in (home_copy / "originals").rglob("*") if p.is_file())
    shutil.rmtree(home_copy / "inbox" / "demo")
    (home_copy / "inbox" / "demo").mkdir()
    _run(home_copy, code=EXIT_WITHDRAWALS_PENDING)
    assert sorted(p.name for p in (home_copy / "originals").rglob("*") if p.is_file()) \
        == originals
