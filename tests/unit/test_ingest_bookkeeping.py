"""Bookkeeping (docs/formats.md): the file registry, re-dropping a fixed file, the quarantine
reports."""

from __future__ import annotations

import html
import json
import shutil
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files, quarantined_files
from bcd35.ingest.errors import CellError
from bcd35.ingest.quarantine import QuarantineReport, render_html
from bcd35.ingest.raw import raw_shas

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
NOW = datetime(2025, 3, 1, 2, 30)
LATER = datetime(2025, 3, 2, 2, 30)


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


def test_registry_records_hash_name_kind_status_rows_errors_and_times(home: Home) -> None:
    drop(home, "meeting_log_comma.csv", "2024/so_hoi_nghi.csv")
    drop(home, "meeting_log_bad_values.csv", "2024/so_loi.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    ingest_inbox(home, "ham_yen", now=LATER)
    good, bad = sorted(list_files(home), key=lambda f: f.status)
    assert (good.original_name, good.original_path) == ("so_hoi_nghi.csv", "2024/so_hoi_nghi.csv")
    assert (good.kinds, good.status, good.rows, good.error_count) == (("meeting_log",), "loaded",
                                                                      4, 0)
    assert (good.first_seen, good.last_seen) == (NOW, LATER)
    assert (bad.kinds, bad.status, bad.rows, bad.error_count) == (("meeting_log",), "quarantined",
                                                                  0, 6)
    assert (bad.data_rows, bad.rejected_rows) == (5, 5)
    assert (bad.first_seen, bad.last_seen) == (NOW, LATER)
    assert len(good.sha256) == len(bad.sha256) == 64


def test_fixing_a_quarantined_file_in_place_loads_it_and_supersedes_the_old(home: Home) -> None:
    path = drop(home, "meeting_log_bad_so_dai_bieu.csv", "so_hoi_nghi.csv")
    first = ingest_inbox(home, "ham_yen", now=NOW)
    [old] = first.quarantined
    path.write_text(path.read_text(encoding="utf-8").replace("một trăm", "100"),
                    encoding="utf-8")  # the clerk fixes line 4 and saves
    second = ingest_inbox(home, "ham_yen", now=LATER)
    [new] = second.loaded
    assert new.rows == 3 and new.sha256 != old.sha256
    assert new.sha256 in raw_shas(home, "meeting_log")
    [registered_old] = quarantined_files(home)
    assert registered_old.superseded_by == new.sha256
    assert quarantined_files(home, include_superseded=False) == []


def test_fixed_copy_under_another_name_loads_and_the_old_stays_listed(home: Home) -> None:
    drop(home, "meeting_log_bad_so_dai_bieu.csv", "so_hoi_nghi.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    fixed = home.inbox / "so_hoi_nghi_da_sua.csv"
    fixed.write_text((FIXTURES / "meeting_log_bad_so_dai_bieu.csv").read_text(encoding="utf-8")
                     .replace("một trăm", "100"), encoding="utf-8")
    [loaded] = ingest_inbox(home, "ham_yen", now=LATER).loaded
    assert loaded.original_path == "so_hoi_nghi_da_sua.csv"
    [still] = quarantined_files(home, include_superseded=False)
    assert still.original_path == "so_hoi_nghi.csv"  # the bad copy is still in the inbox


def test_a_quarantined_file_loads_once_it_passes_keeping_its_sequence(home: Home) -> None:
    """Same bytes, looked at again: a 2026 meeting is implausible in 2024, fine in 2025."""
    path = home.inbox / "hoi_nghi_2026.csv"
    path.write_text("Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu\n"
                    "05/01/2026,Hội nghị A,TTTS,Ban Tuyên giáo,Xã Hàm Yên,10\n", encoding="utf-8")
    early = ingest_inbox(home, "ham_yen", now=datetime(2024, 6, 1))
    [quarantined] = early.quarantined
    [before] = list_files(home)
    report = home.quarantine / f"{quarantined.sha256}.html"
    assert report.exists()
    still = ingest_inbox(home, "ham_yen", now=datetime(2024, 6, 2))
    assert still.loaded == [] and len(still.skipped) == 1
    assert list_files(home)[0].reason == before.reason
    later = ingest_inbox(home, "ham_yen", now=datetime(2025, 1, 10))
    [loaded] = later.loaded
    [after] = list_files(home)
    assert (after.status, after.rows, after.error_count, after.report_path) == ("loaded", 1, 0,
                                                                                None)
    assert after.ingest_seq == before.ingest_seq and after.first_seen == before.first_seen
    assert not report.exists() and not (home.quarantine / f"{loaded.sha256}.json").exists()
    assert loaded.sha256 in raw_shas(home, "meeting_log")
    again = ingest_inbox(home, "ham_yen", now=datetime(2025, 1, 11))
    assert again.loaded == [] and "loaded" in (again.skipped[0].reason or "")


def test_quarantine_json_report(home: Home) -> None:
    drop(home, "meeting_log_bad_values.csv")
    [outcome] = ingest_inbox(home, "ham_yen", now=NOW).quarantined
    report = json.loads((home.quarantine / f"{outcome.sha256}.json").read_text("utf-8"))
    assert set(report) == {"file", "sha256", "kind_guess", "quarantined_at", "error_count",
                           "rows", "errors"}
    assert report["rows"] == {"data": 5, "accepted": 0, "rejected": 5}
    for error in report["errors"]:
        assert set(error) == {"reason_vi", "reason_en", "line", "column", "value", "sheet"}
    assert [e["line"] for e in report["errors"]] == sorted(e["line"] for e in report["errors"])


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []
        self._in_td = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_td = tag == "td"
        if tag == "td":
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._in_td = False

    def handle_data(self, data: str) -> None:
        if self._in_td:
            self.cells[-1] += data


def test_quarantine_html_page_is_bilingual_self_contained_and_escaped(home: Home) -> None:
    drop(home, "meeting_log_html_injection.csv", "<img src=x onerror=alert(1)>.csv")
    [outcome] = ingest_inbox(home, "ham_yen", now=NOW).quarantined
    page = (home.quarantine / f"{outcome.sha256}.html").read_text(encoding="utf-8")
    parsed = _Collect()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert "<b>12</b>" in parsed.cells and '"><img src=x onerror=alert(1)>' in parsed.cells
    assert html.escape("<img src=x onerror=alert(1)>.csv") in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for words in ("Dòng", "Line", "Cột", "Column", "Giá trị", "Value", "Lỗi và cách sửa",
                  "Problem and fix", "Tệp bị cách ly", "File quarantined"):
        assert words in page
    assert "not a number" in page and "không phải là số" in page


def test_render_html_escapes_every_field() -> None:
    hostile = '<script>x</script>&"\''
    report = QuarantineReport(hostile, "a" * 64, None, [CellError(
        hostile, hostile, line=1, column=hostile, value=hostile, sheet=hostile)], NOW)
    page = render_html(report)
    assert "<script>x" not in page and page.count(html.escape(hostile)) >= 6


def test_status_lists_quarantined_files_with_reason_and_report(home: Home) -> None:
    from bcd35.status import render_status

    drop(home, "meta_posts_enotation_ids.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    text = render_status(home)
    assert "meta_posts_enotation_ids.csv" in text and "E-notation" in text
    assert "quarantine/" in text
