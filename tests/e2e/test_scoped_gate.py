"""A fault in one committee-year withholds that partition only; the rest publishes.

Through the real CLI: the demo home (Hàm Yên, 2023 and 2024) plus a second committee (Yên Sơn,
2024), then a meeting with 0 attendees dropped into Hàm Yên's 2024 records.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bcd35.partitions import published_partitions
from tests.e2e.test_report_cli import YEN_SON_MEETINGS, mart_kpis
from tests.support import FIXTURES, bcd35, kpis, published_target

EXIT_PUBLISHED_WITHHELD = 3
EXIT_REFUSED = 2
FAULT = "meeting_log_line2_zero_attendees.csv"


def test_a_fault_in_one_partition_withholds_it_and_publishes_the_others(home_copy: Path):
    before_build = published_target(home_copy)
    before_2024 = mart_kpis(before_build, "ham_yen", 2024)
    (home_copy / "committees.csv").write_text(
        "committee_code,name_vi\nyen_son,Ban Chỉ đạo 35 huyện Yên Sơn\n", encoding="utf-8")
    (home_copy / "inbox" / "yen_son").mkdir()
    (home_copy / "inbox" / "yen_son" / "so_hoi_nghi_2024.csv").write_text(
        YEN_SON_MEETINGS, encoding="utf-8")
    shutil.copy(FIXTURES / FAULT, home_copy / "inbox" / FAULT)

    run = bcd35(home_copy, "run")

    assert run.returncode == EXIT_PUBLISHED_WITHHELD, run.stdout + run.stderr
    assert "ham_yen 2024" in run.stderr and "meeting_attendees_positive" in run.stderr
    assert f"{FAULT}, dòng 2" in run.stderr, "the clerk is told the file and line"
    build = published_target(home_copy)
    assert build != before_build, "the partitions that passed were published"
    assert published_partitions(build) == {
        ("ham_yen", 2023): ("current", build.stem),
        ("ham_yen", 2024): ("withheld", before_build.stem),
        ("yen_son", 2024): ("current", build.stem)}
    # analysts keep Hàm Yên 2024's last good figures, and get Yên Sơn's new ones
    assert mart_kpis(build, "ham_yen", 2024) == before_2024
    assert mart_kpis(build, "yen_son", 2024)["hoi_nghi_tong_so"] == 3

    refused = bcd35(home_copy, "report", "--year", "2024")
    assert refused.returncode == EXIT_REFUSED
    assert "withheld" in refused.stderr and f"{FAULT}, dòng 2" in refused.stderr
    assert bcd35(home_copy, "report", "--year", "2023").returncode == 0
    other = bcd35(home_copy, "report", "--year", "2024", "--committee", "yen_son")
    assert other.returncode == 0, other.stderr
    assert kpis(home_copy / "exports" / "yen_son" / "2024", 2024)["hoi_nghi_tong_so"] == 3
    status = bcd35(home_copy, "status").stdout
    assert "withheld" in status and "ham_yen 2024" in status

    # the clerk takes the faulty file back: the next night publishes everything
    (home_copy / "inbox" / FAULT).unlink()
    again = bcd35(home_copy, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    assert set(published_partitions(published_target(home_copy)).values()) == {
        ("current", published_target(home_copy).stem)}
    assert bcd35(home_copy, "report", "--year", "2024").returncode == 0
    assert kpis(home_copy / "exports" / "2024", 2024)["hoi_nghi_tong_so"] == \
        before_2024["hoi_nghi_tong_so"]
