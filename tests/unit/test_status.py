"""``bcd35 status``: a readable table of the published build, runs, quarantine, next run.

The home is made by hand with the real bookkeeping APIs (run log, file registry, manifest),
so the table is checked without running the pipeline.
"""

from __future__ import annotations

import io
import os
import sqlite3
from datetime import UTC, datetime

import pytest

from bcd35 import runs
from bcd35.cli import main
from bcd35.config import Home
from bcd35.ingest import registry
from bcd35.status import (
    Schedule,
    duration,
    next_run_after,
    nightly_is_paused,
    nightly_schedule,
    print_status,
    render_status,
)
from bcd35.warehouse import read_manifest, write_manifest

BUILD = "20240601T183100Z_abcdef12"
LONG_NAME = "thu_muc_cua_van_phong/so_theo_doi_hoi_nghi_quy_4_nam_2024_ban_sua_lan_thu_hai.xlsx"
NOW = datetime(2024, 6, 2, 3, 0, tzinfo=UTC)  # 10:00 in Hàm Yên


def _set_run(home: Home, run_id: str, started: str, ended: str | None, **fields) -> None:
    runs.start(home, run_id)
    runs.update(home, run_id, **fields)
    with sqlite3.connect(home.state_db) as con:  # fixed times, for fixed durations
        con.execute("update runs set started_at = ?, ended_at = ? where run_id = ?",
                    (started, ended, run_id))


def _quarantine(home: Home, path: str, sha: str, reason: str, errors: int) -> None:
    report = home.quarantine / f"{sha}.txt"
    report.write_text("báo cáo", encoding="utf-8")
    report.with_suffix(".html").write_text("<html></html>", encoding="utf-8")
    moment = datetime(2024, 6, 1, 18, 31)
    with registry.opened(home) as conn:
        seq = registry.allocate_ingest_seq(conn, sha, moment)
        registry.record_file(conn, registry.RegisteredFile(
            sha256=sha, original_name=path.rsplit("/", 1)[-1], original_path=path,
            stored_path=f"originals/{sha[:2]}/{sha}", kinds=("meeting_log",),
            status=registry.QUARANTINED, rows=0, error_count=errors,
            report_path=f"quarantine/{sha}.txt", reason=reason, first_seen=moment,
            last_seen=moment, ingest_seq=seq))


@pytest.fixture
def home(tmp_path) -> Home:
    home = Home(tmp_path / "home").ensure()
    build = home.builds / f"{BUILD}.duckdb"
    build.write_bytes(b"")
    write_manifest(build, {
        "build_id": BUILD, "run_id": "scheduled__2024-06-01T18:30:00+00:00",
        "built_at": "2024-06-01T18:32:10", "code_version": "0123456789abcdef0123",
        "validation": {"success": True, "n_expectations": 21, "failed_checks": [],
                       "warnings": [{"suite": "new_pages", "check": "posts_from_new_page",
                                     "message_vi": "Bài viết từ một trang lần đầu xuất hiện",
                                     "message_en": "Posts from a page seen for the first time",
                                     "rows": ["Trang X"]}]},
    })
    os.symlink(os.path.relpath(build, home.published.parent), home.published)
    _set_run(home, "scheduled__2024-06-01T18:30:00+00:00", "2024-06-01T18:30:05",
             "2024-06-01T18:31:10", status="published", stage="done", build_id=BUILD)
    _set_run(home, "manual__2024-06-02T01:00:00+00:00", "2024-06-02T01:00:00",
             "2024-06-02T01:02:03", status="audit_failed", stage="audit",
             failed_checks=["bulletin_reconciliation", "meeting_totals_by_kind"])
    _quarantine(home, LONG_NAME, "ab" * 32, "dòng / line 3, cột / column Số đại biểu: "
                "'mười lăm' không phải là số. / 'mười lăm' is not a number.", 1)
    return home


def test_status_shows_the_published_build_and_its_validation(home):
    text = render_status(home, now=NOW)
    assert f"{BUILD}.duckdb" in text
    assert "ĐẠT / passed" in text and "21 điều kiện / expectations" in text
    assert "1 cảnh báo / warnings" in text
    assert "2024-06-02 01:32:10" in text  # built at, in Hàm Yên time (UTC+7)
    assert "toàn bộ / full build" in text


def test_status_says_a_build_was_incremental(home):
    build = home.builds / f"{BUILD}.duckdb"
    manifest = read_manifest(build)
    write_manifest(build, {**manifest, "started_from": "20240531T183000Z_00000000"})
    text = render_status(home, now=NOW)
    assert "incremental from 20240531T183000Z_00000000" in text
    assert "mọi bảng / every model" in text
    assert "full build" not in text
    write_manifest(build, {**manifest, "started_from": "20240531T183000Z_00000000",
                           "rebuilt_kinds": ["meeting_log", "meta_posts"]})
    text = render_status(home, now=NOW)
    assert "meeting_log, meta_posts" in text
    assert "every model" not in text


def test_status_lists_last_runs_with_durations_and_failed_checks(home):
    text = render_status(home, now=NOW)
    assert "1m05s" in text and "2m03s" in text
    assert "ĐÃ CÔNG BỐ / published" in text
    assert "KHÔNG ĐẠT KIỂM TRA / audit_failed" in text
    assert "bulletin_reconciliation, meeting_totals_by_kind" in text
    lines = text[text.index("Last runs"):].splitlines()
    newest = next(i for i, line in enumerate(lines) if "manual__2024-06-02" in line)
    older = next(i for i, line in enumerate(lines) if "scheduled__2024-06-01" in line)
    assert newest < older


def test_status_lists_quarantined_files_with_reason_fix_and_report(home):
    text = render_status(home, now=NOW)
    assert LONG_NAME in text  # never cut, however long
    assert "'mười lăm' không phải là số" in text
    assert "Cách sửa / fix" in text and "save the file over the old one" in text
    assert f"file://{home.quarantine / ('ab' * 32)}.html" in text


def test_status_shows_the_next_scheduled_run(home):
    text = render_status(home, now=NOW)
    assert "2024-06-03 01:30 (Asia/Ho_Chi_Minh)" in text
    assert "30 1 * * *" in text
    assert "make up" in text  # Airflow is not running: says how the schedule fires


def test_status_of_an_empty_home_says_none_yet(tmp_path):
    text = render_status(Home(tmp_path / "empty").ensure(), now=NOW)
    assert "chưa có / none yet" in text and "Quarantined files: 0" in text


def test_plain_output_has_no_colour_codes_or_trailing_blanks(home):
    out = io.StringIO()
    print_status(home, stream=out)
    text = out.getvalue()
    assert "\x1b[" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_cli_status_prints_the_table(home, capsys):
    assert main(["status", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert BUILD in out and "audit_failed" in out and LONG_NAME in out


def test_schedule_is_read_from_the_dag_file():
    assert nightly_schedule() == Schedule("30 1 * * *", "Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(("now", "expected"), [
    (datetime(2024, 6, 1, 18, 29, tzinfo=UTC), "2024-06-02 01:30"),  # 01:29 local
    (datetime(2024, 6, 1, 18, 30, tzinfo=UTC), "2024-06-03 01:30"),  # on the dot: next night
    (datetime(2024, 12, 31, 20, 0, tzinfo=UTC), "2025-01-02 01:30"),  # 03:00 local, 1 Jan
])
def test_next_run_is_computed_in_ham_yen_time(now, expected):
    nxt = next_run_after(Schedule("30 1 * * *", "Asia/Ho_Chi_Minh"), now)
    assert f"{nxt:%Y-%m-%d %H:%M}" == expected and nxt.utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize(("started", "ended", "expected"), [
    ("2024-06-01T18:30:05", "2024-06-01T18:30:47", "42s"),
    ("2024-06-01T18:30:05", "2024-06-01T18:31:10", "1m05s"),
    ("2024-06-01T18:30:00", "2024-06-01T20:00:01", "1h30m01s"),
    (None, None, "—"),
])
def test_durations(started, ended, expected):
    assert duration(started, ended) == expected


def test_running_run_counts_up_to_now():
    assert duration("2024-06-02T02:59:00", None, now=NOW) == "1m00s"


def test_paused_state_is_read_from_airflow_metadata(tmp_path):
    home = Home(tmp_path / "h").ensure()
    assert nightly_is_paused(home) is None
    with sqlite3.connect(home.airflow / "airflow.db") as con:
        con.execute("create table dag (dag_id text, is_paused boolean)")
        con.execute("insert into dag values ('bcd35_nightly', 1)")
    assert nightly_is_paused(home) is True
