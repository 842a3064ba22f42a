"""ingest_inbox end to end on real files: raw Parquet, quarantine, registry, originals."""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bcd35.config import DEMO_INBOX, Home
from bcd35.ingest import (
    arrow_schema,
    ensure_raw_schemas,
    inbox_files,
    ingest_inbox,
    list_files,
    quarantined_files,
)
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.raw import raw_files, raw_shas, read_raw

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
NOW = datetime(2025, 3, 1, 2, 30)
GOOD = {
    "meeting_log_comma.csv": ("meeting_log", 4),
    "meeting_log_semicolon_bom_no_diacritics.csv": ("meeting_log", 2),
    "commendation_title_rows.xlsx": ("commendation", 5),
    "bulletin_issue_vn_numbers.csv": ("bulletin_issue", 2),
    "bulletin_distribution.csv": ("bulletin_distribution", 2),
    "meta_posts_english_ui.csv": ("meta_posts", 3),
    "collaborator_shares.csv": ("collaborator_shares", 2),
}


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def drop(home: Home, name: str, as_name: str | None = None) -> Path:
    target = home.inbox / (as_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / name, target)
    return target


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                               p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("name", "expected"), list(GOOD.items()))
def test_each_kind_loads_into_raw_with_the_contract_schema(
        home: Home, name: str, expected: tuple[str, int]) -> None:
    kind_name, rows = expected
    path = drop(home, name, f"sub/folder/{name}")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert [f.original_path for f in result.loaded] == [f"sub/folder/{name}"]
    assert result.quarantined == [] and result.skipped == []
    [pack] = raw_shas(home, kind_name)[sha(path)]
    assert pq.read_schema(home.raw / pack).remove_metadata().equals(
        arrow_schema(KINDS[kind_name]))
    table = read_raw(home, kind_name, sha(path))
    assert table.schema.equals(arrow_schema(KINDS[kind_name]))
    assert table.schema.names == [name for name, _ in KINDS[kind_name].schema()]
    assert table.num_rows == rows == result.loaded[0].rows
    assert set(table.column("_file_sha256").to_pylist()) == {sha(path)}
    assert set(table.column("_committee_code").to_pylist()) == {"ham_yen"}
    assert set(table.column("_kind").to_pylist()) == {kind_name}
    assert set(table.column("_loaded_at").to_pylist()) == {NOW}


def test_provenance_row_numbers_and_sheet(home: Home) -> None:
    drop(home, "commendation_title_rows.xlsx")
    drop(home, "meeting_log_comma.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    [xlsx] = raw_shas(home, "commendation")
    table = read_raw(home, "commendation", xlsx)
    assert table.column("_row_number").to_pylist() == [5, 6, 7, 8, 9]
    assert set(table.column("_sheet").to_pylist()) == {"Khen thưởng 2024"}
    [csv] = raw_shas(home, "meeting_log")
    assert read_raw(home, "meeting_log", csv).column("_row_number").to_pylist() == [2, 3, 4, 6]
    assert set(read_raw(home, "meeting_log", csv).column("_sheet").to_pylist()) == {None}


def test_two_kinds_in_one_workbook_load_into_two_kinds(home: Home) -> None:
    path = drop(home, "bulletin_two_sheets.xlsx")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert result.loaded[0].kinds == ("bulletin_issue", "bulletin_distribution")
    assert result.loaded[0].rows == 5
    digest = sha(path)
    assert read_raw(home, "bulletin_issue", digest).num_rows == 2
    assert read_raw(home, "bulletin_distribution", digest).num_rows == 3


def test_one_bad_row_quarantines_the_whole_file_while_another_loads(home: Home) -> None:
    bad = drop(home, "meeting_log_bad_so_dai_bieu.csv")
    good = drop(home, "meeting_log_comma.csv")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert [f.original_path for f in result.loaded] == [good.name]
    assert [f.original_path for f in result.quarantined] == [bad.name]
    digest = sha(bad)
    assert digest not in raw_shas(home, "meeting_log")
    assert sha(good) in raw_shas(home, "meeting_log")
    report = json.loads((home.quarantine / f"{digest}.json").read_text(encoding="utf-8"))
    assert report["sha256"] == digest
    assert report["file"] == bad.name
    assert report["kind_guess"] == "meeting_log"
    assert report["error_count"] == 1
    [error] = report["errors"]
    assert (error["line"], error["column"], error["value"]) == (4, "Số đại biểu", "một trăm")
    assert error["reason_vi"] and error["reason_en"]
    text = (home.quarantine / f"{digest}.txt").read_text(encoding="utf-8")
    for needle in ("dòng / line 4", "«Số đại biểu»", "«một trăm»", "Lỗi:", "Problem:",
                   bad.name):
        assert needle in text
    assert result.quarantined[0].report_path == home.quarantine / f"{digest}.txt"


@pytest.mark.parametrize(("name", "fragment"), [
    ("meta_posts_enotation_ids.csv", "E-notation"),
    ("meta_posts_impossible_publish_time.csv", "M/D/YYYY"),
    ("unknown_header_meeting_like.csv", "Số đại biểu"),
    ("commendation_header_only.csv", "no data rows"),
    ("meeting_log_vni.csv", "UTF-8"),
    ("meeting_log_bad_date.xlsx", "calendar date"),
])
def test_faulty_files_are_quarantined_with_their_reason(
        home: Home, name: str, fragment: str) -> None:
    path = drop(home, name)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert result.loaded == []
    [outcome] = result.quarantined
    assert outcome.sha256 == sha(path)
    report = json.loads((home.quarantine / f"{outcome.sha256}.json").read_text("utf-8"))
    assert any(fragment in e["reason_en"] for e in report["errors"])
    assert [p for kind in KINDS for p in raw_files(home, kind)] == []
    [registered] = quarantined_files(home)
    assert registered.sha256 == outcome.sha256 and registered.reason
    assert fragment in registered.reason or registered.error_count > 0


def test_unknown_header_report_names_closest_kind_and_missing_columns(home: Home) -> None:
    drop(home, "unknown_header_meeting_like.csv")
    [outcome] = ingest_inbox(home, "ham_yen", now=NOW).quarantined
    report = json.loads((home.quarantine / f"{outcome.sha256}.json").read_text("utf-8"))
    assert report["kind_guess"] == "meeting_log"
    [error] = report["errors"]
    assert "meeting_log" in error["reason_en"] and "«Số đại biểu»" in error["reason_vi"]


def test_identical_bytes_are_skipped_the_second_time(home: Home) -> None:
    drop(home, "meeting_log_comma.csv")
    first = ingest_inbox(home, "ham_yen", now=NOW)
    raw_before = snapshot(home.raw)
    drop(home, "meeting_log_comma.csv", "copy/same_bytes_other_name.csv")
    later = datetime(2025, 3, 2, 2, 30)
    second = ingest_inbox(home, "ham_yen", now=later)
    assert second.loaded == [] and second.quarantined == []
    assert sorted(f.original_path for f in second.skipped) == [
        "copy/same_bytes_other_name.csv", "meeting_log_comma.csv"]
    assert {f.sha256 for f in second.skipped} == {first.loaded[0].sha256}
    assert snapshot(home.raw) == raw_before
    [registered] = list_files(home)
    assert registered.first_seen == NOW and registered.last_seen == later
    assert registered.original_path == "meeting_log_comma.csv"


def test_same_bytes_twice_in_one_run_load_once(home: Home) -> None:
    drop(home, "collaborator_shares.csv", "a.csv")
    drop(home, "collaborator_shares.csv", "b/a_again.csv")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert [f.original_path for f in result.loaded] == ["a.csv"]
    assert [f.original_path for f in result.skipped] == ["b/a_again.csv"]
    assert len(list_files(home)) == 1


def test_quarantined_bytes_are_not_retried(home: Home) -> None:
    drop(home, "meeting_log_bad_so_dai_bieu.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    again = ingest_inbox(home, "ham_yen", now=NOW)
    assert again.quarantined == [] and len(again.skipped) == 1
    assert "quarantined" in (again.skipped[0].reason or "")


def test_originals_kept_read_only_and_inbox_untouched(home: Home) -> None:
    for name in ("meeting_log_comma.csv", "meeting_log_bad_so_dai_bieu.csv",
                 "commendation_title_rows.xlsx"):
        drop(home, name)
    before = snapshot(home.inbox)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert snapshot(home.inbox) == before
    for outcome in result.loaded + result.quarantined:
        kept = home.originals / outcome.sha256[:2] / outcome.sha256
        assert kept.read_bytes() == (home.inbox / outcome.original_path).read_bytes()
        assert stat.S_IMODE(kept.stat().st_mode) == 0o440  # read-only, nothing for other users
    registered = {f.sha256: f for f in list_files(home)}
    assert len(registered) == 3
    for digest, record in registered.items():
        assert record.stored_file(home) == home.originals / digest[:2] / digest


def test_file_name_is_never_used_as_a_path(home: Home) -> None:
    drop(home, "meeting_log_comma.csv", "sổ hội nghị (bản cuối) ..%2fetc.csv")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    [outcome] = result.loaded
    assert sorted(p.name for p in (home.originals / outcome.sha256[:2]).iterdir()) == \
        [outcome.sha256]


def test_kind_recognised_by_content_not_by_extension(home: Home) -> None:
    drop(home, "commendation_title_rows.xlsx", "khen_thuong.csv")
    drop(home, "collaborator_shares.csv", "chia_se.xlsx")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert sorted(f.kinds for f in result.loaded) == [("collaborator_shares",),
                                                      ("commendation",)]


def test_registry_sequence_increases_and_is_written_into_raw(home: Home) -> None:
    names = ["bulletin_distribution.csv", "bulletin_issue_vn_numbers.csv",
             "meeting_log_bad_so_dai_bieu.csv", "meeting_log_comma.csv"]
    for name in names:
        drop(home, name)
    ingest_inbox(home, "ham_yen", now=NOW)
    drop(home, "collaborator_shares.csv", "zz_later.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    files = list_files(home)
    assert [f.original_path for f in files] == sorted(names) + ["zz_later.csv"]
    seqs = [f.ingest_seq for f in files]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert [f.status for f in files] == ["loaded", "loaded", "quarantined", "loaded", "loaded"]
    for record in files:
        for kind in record.kinds if record.status == "loaded" else ():
            table = read_raw(home, kind, record.sha256)
            assert set(table.column("_ingest_seq").to_pylist()) == {record.ingest_seq}
    [quarantined] = quarantined_files(home)
    assert quarantined.report_file(home) == home.quarantine / f"{quarantined.sha256}.txt"
    assert quarantined.error_count == 1 and "line 4" in (quarantined.reason or "")


def test_hidden_and_lock_files_are_ignored(home: Home) -> None:
    drop(home, "meeting_log_comma.csv")
    (home.inbox / "~$so_theo_doi.xlsx").write_bytes(b"\x00lock")
    (home.inbox / ".DS_Store").write_bytes(b"\x00\x01")
    assert [p.name for p in inbox_files(home.inbox)] == ["meeting_log_comma.csv"]


def test_ensure_raw_schemas_writes_every_kind_once(home: Home) -> None:
    written = ensure_raw_schemas(home)
    assert sorted(p.parent.name for p in written) == sorted(KINDS)
    for kind in KINDS.values():
        table = pq.read_table(home.raw / kind.name / "_empty.parquet")
        assert table.num_rows == 0 and table.schema.equals(arrow_schema(kind))
    assert ensure_raw_schemas(home) == []
    stale = home.raw / "meeting_log" / "_empty.parquet"
    pq.write_table(arrow_schema(KINDS["commendation"]).empty_table(), stale)
    assert ensure_raw_schemas(home) == [stale]


def test_empty_inbox_still_fixes_raw_schemas(home: Home) -> None:
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert (result.loaded, result.quarantined, result.skipped) == ([], [], [])
    assert sorted(p.name for p in home.raw.iterdir()) == sorted(KINDS)


def test_summary_lists_each_outcome(home: Home) -> None:
    drop(home, "meeting_log_comma.csv")
    drop(home, "meeting_log_bad_so_dai_bieu.csv")
    summary = ingest_inbox(home, "ham_yen", now=NOW).summary()
    assert "meeting_log_comma.csv" in summary and "meeting_log_bad_so_dai_bieu.csv" in summary
    assert "Loaded: 1" in summary and "Quarantined: 1" in summary


def test_aware_now_is_stored_as_utc(home: Home) -> None:
    path = drop(home, "bulletin_distribution.csv")
    aware = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    ingest_inbox(home, "ham_yen", now=aware)
    table = read_raw(home, "bulletin_distribution", sha(path))
    assert set(table.column("_loaded_at").to_pylist()) == {datetime(2025, 3, 1, 9, 30)}


@pytest.mark.skipif(not DEMO_INBOX.is_dir(), reason="seeds/demo/inbox not generated")
def test_demo_inbox_loads_without_quarantine(home: Home) -> None:
    shutil.copytree(DEMO_INBOX, home.inbox)
    result = ingest_inbox(home, "ham_yen")
    assert result.quarantined == [], result.summary()
    assert len(result.loaded) == len(inbox_files(home.inbox)) > 0
    assert {k for f in result.loaded for k in f.kinds} == set(KINDS)


def test_blank_meta_metrics_are_null_in_raw(home: Home) -> None:
    path = drop(home, "meta_posts_english_ui.csv", "Jan-01-2024_Dec-31-2024_4020743050215398.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    table = read_raw(home, "meta_posts", sha(path)).to_pylist()
    by_post = {row["post_id"]: row for row in table}
    blank = by_post["1222273117266209297"]
    assert [blank[c] for c in ("reach", "reactions", "comments", "shares")] == [None] * 4
    assert by_post["1222273117266209296"]["reach"] == 1830
    assert {(row["_period_start"], row["_period_end"]) for row in table} == {
        (date(2024, 1, 1), date(2024, 12, 31))}


def test_importing_ingest_stays_light() -> None:
    code = ("import sys, bcd35.ingest; "
            "print(','.join(m for m in ('airflow', 'dbt', 'great_expectations', 'pyarrow', "
            "'openpyxl', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
