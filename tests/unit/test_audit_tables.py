"""audit.check_results and audit.source_files rows (bcd35.audit.tables), without a warehouse."""

from __future__ import annotations

from datetime import datetime

from bcd35.audit import CheckOutcome
from bcd35.audit.tables import check_rows, file_rows, file_status, partitions
from bcd35.ingest.registry import RegisteredFile

NOW = datetime(2026, 1, 2, 3, 4, 5)


def _file(sha: str, status: str, seq: int, superseded_by: str | None = None) -> RegisteredFile:
    return RegisteredFile(sha256=sha, original_name=f"{sha}.csv", original_path=f"demo/{sha}.csv",
                          stored_path=f"originals/{sha}", kinds=("meeting_log",), status=status,
                          rows=3, error_count=0, report_path=None, reason=None, first_seen=NOW,
                          last_seen=NOW, ingest_seq=seq, superseded_by=superseded_by)


def test_failed_rows_are_grouped_by_committee_and_year():
    rows = [{"committee_code": "ham_yen", "meeting_year": 2014, "x": 1},
            {"committee_code": "ham_yen", "meeting_year": 2014, "x": 2},
            {"committee_code": "ham_yen", "year": 2024, "x": 3},
            {"page_id": "1"}]
    assert [(c, y, n) for c, y, n, _ in partitions(rows)] == [
        (None, None, 1), ("ham_yen", 2014, 2), ("ham_yen", 2024, 1)]


def test_a_failed_check_gives_one_row_per_partition_and_a_passed_one_a_single_row():
    failed = CheckOutcome("meetings", "meeting_date_in_its_year", True, False, "Ngày", "Date",
                          partitions=[{"committee_code": "ham_yen", "year": 2014,
                                       "failed_rows": 2, "example": "dòng 4 / line 4"}])
    passed = CheckOutcome("new_pages", "posts_from_new_page", False, True, "Trang", "Page")
    rows = check_rows("b1", [failed, passed], now=NOW)
    assert rows == [
        ("b1", "meetings", "meeting_date_in_its_year", "ham_yen", 2014, "blocking", False, 2,
         "Ngày / Date: dòng 4 / line 4", NOW),
        ("b1", "new_pages", "posts_from_new_page", None, None, "warning", True, 0,
         "Trang / Page", NOW)]


def test_refused_reference_rows_are_warnings_and_valid_files_a_passed_row():
    problem = {"file": "reference/kpi_targets.csv", "line": 3, "column": "kpi_code",
               "value": "sai", "reason_vi": "Mã sai.", "reason_en": "Unknown."}
    [row] = check_rows("b1", [], [problem], ["reference/kpi_targets.csv"], now=NOW)
    assert row[2:8] == ("home_reference_row_refused", None, None, "warning", False, 1)
    assert "dòng/line 3" in row[8] and "'kpi_code' = 'sai'" in row[8]
    [ok] = check_rows("b1", [], [], ["reference/kpi_targets.csv"], now=NOW)
    assert ok[6] is True


def test_file_status_follows_the_registry_row():
    assert file_status(_file("a", "loaded", 1)) == "loaded"
    assert file_status(_file("b", "quarantined", 2)) == "quarantined"
    assert file_status(_file("c", "quarantined", 3, superseded_by="d")) == "superseded"
    assert file_status(_file("e", "withdrawn", 4)) == "withdrawn"  # a later registry state


def test_every_registered_file_is_a_row_with_its_rows_in_the_build():
    files = [_file("b", "quarantined", 2), _file("a", "loaded", 1)]
    rows = file_rows("b1", files, {"a": 3})
    assert [(r[1], r[5], r[7]) for r in rows] == [("a", "loaded", 3), ("b", "quarantined", 0)]
