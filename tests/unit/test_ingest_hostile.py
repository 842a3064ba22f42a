"""Hostile and broken input (docs/formats.md): each fault has a fixture and an asserted outcome."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bcd35.config import Home
from bcd35.ingest import analyse, ingest_inbox, list_files
from bcd35.ingest import reading as reading_module
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.names import MAX_NAME_CHARS, _escape, display_name, display_path
from bcd35.ingest.raw import raw_files as kind_raw_files
from bcd35.ingest.raw import read_raw
from bcd35.ingest.rows import ParseContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
NOW = datetime(2025, 3, 1, 2, 30)
CTX = ParseContext(max_year=2025)
SHA = re.compile(r"[0-9a-f]{64}")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.inbox.mkdir(parents=True)
    return home


def drop(home: Home, name: str, as_name: str | None = None) -> Path:
    target = home.inbox / (as_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / name, target)
    return target


def raw_files(home: Home) -> list[Path]:
    return [p for kind in KINDS for p in kind_raw_files(home, kind)]


def report_of(home: Home, sha256: str) -> dict:
    return json.loads((home.quarantine / f"{sha256}.json").read_text(encoding="utf-8"))


# (fixture, expected (line, column) of the errors, a fragment of the English reason)
QUARANTINED = [
    ("empty.csv", {(None, None)}, "empty"),
    ("meeting_log_terminal_escapes.csv",
     {(2, "Số đại biểu"), (3, "Số đại biểu"), (3, "Ngày"), (3, "Xã/Thị trấn")}, "is not a number"),
    ("meeting_log_formulas_without_saved_values.xlsx", {(None, None)},
     "formula cells saved without their computed values"),
    ("whitespace_only.csv", {(None, None)}, "empty"),
    ("commendation_header_only.csv", {(1, None)}, "no data rows"),
    ("meeting_log_ragged_rows.csv", {(3, None)}, "fewer than the 7 columns"),
    ("meeting_log_unquoted_comma_number.csv", {(2, None)}, "more than the 6 columns"),
    ("meeting_log_bad_so_dai_bieu.csv", {(4, "Số đại biểu")}, "not a number"),
    ("meeting_log_wrong_types.xlsx", {(3, "Ngày"), (4, "Số đại biểu"), (5, "Số đại biểu")},
     "Format the cell as a date"),
    ("meeting_log_bad_values.csv", {(2, "Ngày"), (3, "Ngày"), (4, "Xã/Thị trấn"),
                                    (5, "Loại hội nghị"), (6, "Ngày"), (6, "Số đại biểu")},
     "cannot be negative"),
    ("commendation_wrong_types_unknown_values.csv",
     {(3, "Năm thành tích"), (4, "Năm thành tích"), (4, "Ngày quyết định"), (4, "Hình thức"),
      (4, "Đối tượng"), (5, "Năm thành tích"), (5, "Ngày quyết định")},
     "outside the plausible range"),
    ("meeting_log_duplicate_key_conflict.csv",
     {(4, "Ngày + Tên hội nghị + Đơn vị tổ chức + Xã/Thị trấn")}, "as line 2"),
    ("meta_posts_duplicate_post_id_conflict.csv", {(4, "Post ID")}, "'1830' and '1930'"),
    ("meeting_log_unclosed_quote.csv", {(3, None)}, "never closed"),
    ("meeting_log_html_injection.csv", {(2, "Xã/Thị trấn"), (2, "Số đại biểu")}, "not a number"),
    ("meeting_log_vni.csv", {(1, None)}, "CSV UTF-8"),
    ("meeting_log_mojibake_utf8.csv", {(1, None)}, "garbled"),
    ("meta_posts_enotation_ids.csv", {(2, "Post ID"), (2, "Page ID")}, "E-notation"),
    ("meta_posts_number_ids.xlsx", {(2, "Post ID")}, "Excel"),
    ("meta_posts_impossible_publish_time.csv", {(3, "Publish time")}, "M/D/YYYY"),
    ("legacy_page_insights_two_header_rows.xlsx", {(1, None)}, "Page Insights"),
    ("unknown_header_meeting_like.csv", {(1, None)}, "closest is meeting_log"),
]


@pytest.mark.parametrize(("name", "where", "fragment"), QUARANTINED,
                         ids=[q[0] for q in QUARANTINED])
def test_hostile_file_is_quarantined_with_every_problem_located(
        home: Home, name: str, where: set[tuple[int | None, str | None]],
        fragment: str) -> None:
    drop(home, name)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert result.loaded == []
    [outcome] = result.quarantined
    report = report_of(home, outcome.sha256)
    assert {(e["line"], e["column"]) for e in report["errors"]} == where
    assert any(fragment in e["reason_en"] for e in report["errors"]), report["errors"]
    assert all(e["reason_vi"] and e["reason_en"] for e in report["errors"])
    assert raw_files(home) == []  # a quarantined file writes no raw Parquet


def test_duplicate_conflict_names_both_lines_and_the_differing_values() -> None:
    [error] = analyse((FIXTURES / "meeting_log_duplicate_key_conflict.csv").read_bytes(),
                      CTX).errors
    assert error.line == 4 and "dòng 2" in error.reason_vi and "line 2" in error.reason_en
    assert "«45» và «54»" in error.reason_vi and "Số đại biểu" in error.reason_en
    assert error.value == "05/01/2024 | Hội nghị  A | Ban Tuyên giáo | Huyện"


def test_a_repeated_row_is_harmless_and_loads_as_delivered(home: Home) -> None:
    path = drop(home, "meeting_log_repeated_row.csv")
    [loaded] = ingest_inbox(home, "ham_yen", now=NOW).loaded
    assert loaded.rows == 3
    table = read_raw(home, "meeting_log", loaded.sha256).to_pylist()
    assert [r["_row_number"] for r in table] == [2, 3, 4]
    keys = {(r["ngay"], r["ten_hoi_nghi_norm"], r["don_vi_to_chuc_norm"], r["ma_dvhc"])
            for r in table}
    assert len(keys) == 2  # dbt's natural-key de-duplication keeps one of lines 2 and 3
    assert path.exists()


def test_duplicates_across_sheets_of_one_workbook_are_compared(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    header = ["Tên ấn phẩm", "Năm", "Số", "Tháng phát hành", "Số lượng in"]
    first = wb.active
    first.title = "Quý 1"
    first.append(header)
    first.append(["Bản tin huyện Hàm Yên", 2024, 1, "01/2024", 830])
    second = wb.create_sheet("Quý 2")
    second.append(header)
    second.append(["Bản tin huyện Hàm Yên", 2024, 1, "01/2024", 850])
    wb.save(tmp_path / "two.xlsx")
    [error] = analyse((tmp_path / "two.xlsx").read_bytes(), CTX).errors
    assert (error.sheet, error.line) == ("Quý 2", 2)
    assert "line 2 of sheet 'Quý 1'" in error.reason_en


# Data lines (non-blank rows below the header) of every fixture that is read as a kind.
DATA_LINES = {
    "bulletin_distribution.csv": 2, "bulletin_issue_vn_numbers.csv": 2,
    "bulletin_two_sheets.xlsx": 5, "collaborator_shares.csv": 2,
    "collaborator_shares_utf16.csv": 2, "collaborator_shares_utf16_tab_no_bom.csv": 2,
    "collaborator_shares_windows1258.csv": 2, "commendation_header_only.csv": 0,
    "commendation_title_rows.xlsx": 5, "commendation_wrong_types_unknown_values.csv": 4,
    "meeting_log_bad_date.xlsx": 2, "meeting_log_bad_so_dai_bieu.csv": 3,
    "meeting_log_terminal_escapes.csv": 2,
    "meeting_log_bad_values.csv": 5, "meeting_log_comma.csv": 4,
    "meeting_log_duplicate_key_conflict.csv": 3, "meeting_log_excel_cells_merged_title.xlsx": 5,
    "meeting_log_html_injection.csv": 1, "meeting_log_nfd_upper_spaces_old_tones.csv": 4,
    "meeting_log_ragged_rows.csv": 3, "meeting_log_repeated_row.csv": 3,
    "meeting_log_semicolon_bom_no_diacritics.csv": 2, "meeting_log_title_rows.csv": 1,
    "meeting_log_unquoted_comma_number.csv": 1, "meeting_log_windows1258.csv": 1,
    "meeting_log_wrong_types.xlsx": 4, "meta_posts_32_columns_no_views_iso_time.csv": 2,
    "meta_posts_34_columns_impressions_views.csv": 2,
    "meta_posts_duplicate_post_id_conflict.csv": 3, "meta_posts_english_ui.csv": 3,
    "meta_posts_enotation_ids.csv": 1, "meta_posts_impossible_publish_time.csv": 2,
    "meta_posts_lowercase_rcs.csv": 1, "meta_posts_number_ids.xlsx": 1,
    "meta_posts_utf16_tab.csv": 1, "meta_posts_vietnamese_ui.csv": 2,
}


def test_every_fixture_is_listed_for_the_row_count_check() -> None:
    unreadable = {name for name, _, _ in QUARANTINED} - set(DATA_LINES)
    fixtures = {p.name for p in FIXTURES.iterdir() if p.suffix in (".csv", ".xlsx")}
    assert fixtures == set(DATA_LINES) | unreadable


@pytest.mark.parametrize(("name", "lines"), sorted(DATA_LINES.items()))
def test_accepted_plus_rejected_rows_equal_data_lines(home: Home, name: str,
                                                      lines: int) -> None:
    drop(home, name)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    [registered] = list_files(home)
    accepted = registered.data_rows - registered.rejected_rows
    assert (registered.data_rows, accepted + registered.rejected_rows) == (lines, lines)
    if result.loaded:
        assert registered.rejected_rows == 0 and registered.rows == lines
        assert sum(read_raw(home, kind).num_rows for kind in KINDS) == lines
    else:
        report = report_of(home, registered.sha256)
        assert report["rows"] == {"data": lines, "accepted": accepted,
                                  "rejected": registered.rejected_rows}
        assert registered.rejected_rows == len({(e["sheet"], e["line"])
                                                for e in report["errors"]
                                                if e["line"] is not None}) or lines == 0
        assert raw_files(home) == []


# --------------------------------------------------------------------------------------------
# File names, links, special files, size
# --------------------------------------------------------------------------------------------


HOSTILE_NAMES = [
    "so\\..\\..\\Windows\\System32\\evil.csv",  # backslashes are ordinary characters here
    "C:\\Users\\clerk\\Desktop\\so_hoi_nghi.csv",
    "so..%2f..%2fetc%2fpasswd.csv",  # (names starting with "." are hidden files: ignored)
    "bao_cao.xlsx.csv",
    "-rf --no-preserve-root.csv",
    "a" * 240 + ".csv",
    "tên có\nxuống dòng\tvà tab.csv",
    "\u202egpj.csv",  # right-to-left override
    "$(reboot);`id`.csv",
]


def test_hostile_names_are_stored_only_under_generated_names(home: Home) -> None:
    names = HOSTILE_NAMES
    for index, name in enumerate(names):
        source = "meeting_log_comma.csv" if index % 2 else "meeting_log_bad_values.csv"
        # distinct bytes (trailing blank lines) so that every name is registered
        (home.inbox / name).write_bytes((FIXTURES / source).read_bytes() + b"\n" * index)
    deep = "/".join(["thu_muc_rat_dai_" + "x" * 40] * 6) + "/sổ.csv"  # > 300 characters
    assert len(deep) > 300
    drop(home, "collaborator_shares.csv", deep)
    raw_name = os.fsencode(home.inbox) + b"/b\xe1o c\xe1o c\xfe.csv"  # not UTF-8 (a Latin-1 name)
    with open(raw_name, "wb") as fh:
        fh.write((FIXTURES / "bulletin_distribution.csv").read_bytes())
    inbox_before = sorted(p.relative_to(home.inbox) for p in home.inbox.rglob("*"))

    result = ingest_inbox(home, "ham_yen", now=NOW)

    assert len(result.loaded) + len(result.quarantined) == len(names) + 2
    assert result.skipped == []
    assert sorted(p.relative_to(home.inbox) for p in home.inbox.rglob("*")) == inbox_before
    allowed = {
        "originals": re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}"),
        "raw": re.compile(r"[a-z_]+/(pack-[0-9]{8}|_empty)\.parquet"),
        "quarantine": re.compile(r"[0-9a-f]{64}\.(json|txt|html)"),
        "state": re.compile(r"bcd35\.sqlite(-wal|-shm)?|raw_schemas\.json"),
    }
    for path in home.root.rglob("*"):
        rel = path.relative_to(home.root)
        if path.is_dir() or rel.parts[0] == "inbox":
            continue
        assert rel.parts[0] in allowed, rel
        assert allowed[rel.parts[0]].fullmatch(Path(*rel.parts[1:]).as_posix()), rel
    registered = list_files(home)
    shown = {f.original_name for f in registered} | {f.original_path for f in registered}
    for text in shown:
        assert text.isprintable() and "\u202e" not in text and "\udce1" not in text
        assert len(text) <= 1024
    assert any(f.original_name == "b\\xe1o c\\xe1o c\\xfe.csv" for f in registered)
    assert any("\\u202e" in f.original_name for f in registered)
    assert any(f.original_path.endswith("/sổ.csv") for f in registered)


@pytest.mark.parametrize(("name", "shown"), [
    ("../../etc/passwd", "../../etc/passwd"),
    ("/etc/shadow", "/etc/shadow"),
    ("a\x00b.csv", "a\\x00b.csv"),
    ("line\nbreak.csv", "line\\x0abreak.csv"),
    ("\u202egpj.exe", "\\u202egpj.exe"),
    ("zero\u200bwidth.csv", "zero\\u200bwidth.csv"),
    ("b\udce1o.csv", "b\\xe1o.csv"),
    ("Tha\u0300nh.csv", "Thành.csv"),  # NFD → NFC
    ("report.xlsx.csv", "report.xlsx.csv"),
])
def test_display_name_keeps_what_the_name_was_in_printable_form(name: str, shown: str) -> None:
    assert display_name(name) == shown


def test_a_printable_name_is_one_no_character_of_which_is_escaped() -> None:
    """display_name keeps a name for which ``str.isprintable()`` holds as it is, without its
    character-by-character pass: right only while no character Python calls printable is one
    ``_escape`` changes. Every code point is checked."""
    changed = [hex(code) for code in range(sys.maxunicode + 1)
               if chr(code).isprintable() and _escape(chr(code)) != chr(code)]
    assert not changed


def test_display_name_shortens_300_characters_keeping_the_extension() -> None:
    name = "s" * 296 + ".csv"
    shown = display_name(name)
    assert len(shown) == MAX_NAME_CHARS and shown.endswith("s.csv") and "…" in shown
    assert len(display_path("d/" * 600 + "x.csv")) == 1024


def test_symlinks_and_fifos_are_never_opened(home: Home, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    shutil.copyfile(FIXTURES / "meeting_log_comma.csv", secret)
    (home.inbox / "link_to_secret.csv").symlink_to(secret)
    (home.inbox / "linked_folder").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(home.inbox / "pipe.csv")
    drop(home, "collaborator_shares.csv")
    result = ingest_inbox(home, "ham_yen", now=NOW)  # a FIFO read would block forever
    assert [f.original_path for f in result.loaded] == ["collaborator_shares.csv"]
    skipped = {f.original_path: f.reason or "" for f in result.skipped}
    assert set(skipped) == {"link_to_secret.csv", "linked_folder", "pipe.csv"}
    assert "symbolic link" in skipped["link_to_secret.csv"]
    assert "not a regular file" in skipped["pipe.csv"]
    assert len(list_files(home)) == 1  # the linked file's content was never stored


def test_a_file_over_the_size_limit_is_quarantined_without_being_read(
        home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading_module, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr("bcd35.ingest.pipeline.MAX_FILE_BYTES", 1000)
    path = home.inbox / "huge.csv"
    path.write_bytes((FIXTURES / "meeting_log_comma.csv").read_bytes() * 20)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    [outcome] = result.quarantined
    assert "too large" in (outcome.reason or "")
    kept = home.originals / outcome.sha256[:2] / outcome.sha256
    assert kept.read_bytes() == path.read_bytes()  # kept by hash, streamed
    again = ingest_inbox(home, "ham_yen", now=NOW)
    assert again.quarantined == [] and len(again.skipped) == 1


def test_the_registry_survives_an_old_schema(home: Home) -> None:
    """A registry written before data_rows/rejected_rows/superseded_by existed is migrated."""
    home.state.mkdir(parents=True)
    with sqlite3.connect(home.state_db) as conn:
        conn.execute("create table ingested_files (sha256 text primary key, original_name text "
                     "not null, original_path text not null, stored_path text not null, kinds "
                     "text not null default '', status text not null, rows integer not null "
                     "default 0, error_count integer not null default 0, report_path text, "
                     "reason text, first_seen text not null, last_seen text not null, "
                     "ingest_seq integer not null unique)")
        conn.execute("insert into ingested_files values ('" + "a" * 64 + "', 'x.csv', 'x.csv', "
                     "'originals/aa/x', 'meeting_log', 'loaded', 3, 0, null, null, "
                     "'2025-01-01T00:00:00', '2025-01-01T00:00:00', 1)")
        conn.execute("create table ingest_seq_allocations (ingest_seq integer primary key "
                     "autoincrement, sha256 text not null, allocated_at text not null)")
        conn.execute("insert into ingest_seq_allocations values (1, '" + "a" * 64 + "', "
                     "'2025-01-01T00:00:00')")
    drop(home, "collaborator_shares.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    old, new = list_files(home)
    assert (old.rows, old.data_rows, old.superseded_by) == (3, 0, None)
    assert new.data_rows == 2 and SHA.fullmatch(new.sha256)
