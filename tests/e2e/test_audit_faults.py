"""Every blocking check (see docs/operator.md#checks) is shown to fail on a planted fault.

Faults a clerk can drop in the inbox go through the real CLI (``bcd35 run``): the run
fails on that check, the published build is unchanged and ``bcd35 report`` refuses. Faults
the ingestion already stops (a negative count is quarantined) or that only a code defect can
produce (a mart disagreeing with staging, a post twice, totals that do not add up) are planted
in the raw layer or in a copy of a real candidate build and audited directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from bcd35.audit import audit_candidate
from bcd35.partitions import published_partitions
from tests.e2e.test_report_cli import mart_kpis
from tests.support import FIXTURES, REPO, bcd35, published_target, tree_digest


def _failed_candidate_checks(home: Path, check: str) -> list[tuple]:
    """audit.check_results of the newest build (published with the partition withheld)."""
    [candidate] = sorted((home / "warehouse" / "builds").glob("*.duckdb"),
                         key=lambda p: p.name)[-1:]
    with duckdb.connect(str(candidate), read_only=True) as con:
        return con.execute("select committee_code, year, severity, passed, failed_rows, message "
                           "from audit.check_results where check_name = ? and not passed",
                           [check]).fetchall()


def _run_blocked_on(home: Path, check: str) -> str:
    """A night with a fault in Hàm Yên's 2024 records: that partition is withheld (its last good
    figures stay published, its report is refused, status says why); 2023 is published."""
    before = mart_kpis(published_target(home), "ham_yen", 2024)
    exports = tree_digest(home / "exports")

    run = bcd35(home, "run")

    assert run.returncode == 3, run.stdout + run.stderr  # published with a partition withheld
    assert check in run.stderr and "ham_yen 2024" in run.stderr
    assert published_partitions(published_target(home))[("ham_yen", 2024)][0] == "withheld"
    assert mart_kpis(published_target(home), "ham_yen", 2024) == before
    refused = bcd35(home, "report", "--year", "2024")
    assert refused.returncode != 0 and check in refused.stderr
    assert tree_digest(home / "exports") == exports
    status = bcd35(home, "status")
    assert "withheld" in status.stdout and check in status.stdout
    return run.stderr


@pytest.mark.parametrize(("fixture", "check", "named", "partition"), [
    ("meeting_log_line4_dated_2014_in_2024_log.csv", "meeting_date_in_its_year",
     "meeting_log_line4_dated_2014_in_2024_log.csv, dòng 4", ("ham_yen", 2014)),
    ("meeting_log_line2_zero_attendees.csv", "meeting_attendees_positive",
     "meeting_log_line2_zero_attendees.csv, dòng 2", ("ham_yen", 2024)),
    ("meta_posts_reactions_comments_shares_disagree.csv", "post_interactions_add_up",
     "1222599999999990001", ("ham_yen", 2024)),
])
def test_inbox_fault_blocks_publication(home_copy: Path, fixture: str, check: str, named: str,
                                        partition: tuple):
    shutil.copy(FIXTURES / fixture, home_copy / "inbox")
    stderr = _run_blocked_on(home_copy, check)
    assert named in stderr  # the clerk is told which line or post
    # the build carries what the audit found, as a table: the check, its partition
    # (committee, year), one bad row, the line
    [found] = _failed_candidate_checks(home_copy, check)
    assert found[:5] == (*partition, "blocking", False, 1)
    assert named in found[5]


def test_negative_count_in_inbox_is_quarantined(home_copy: Path, tmp_path: Path):
    bad = tmp_path / "chia_se_am.csv"
    bad.write_text(
        "Ngày;Cộng tác viên;Đơn vị;Nền tảng;Liên kết chia sẻ;Lượt tiếp cận;Lượt tương tác\n"
        "03/12/2024;Nguyễn Văn Test;Xã Yên Phú;Facebook;https://www.facebook.com/x/1;-40;3\n",
        encoding="utf-8")
    shutil.copy(bad, home_copy / "inbox")
    # a good file too: a night that only quarantines changes no figure and builds nothing,
    # and audit.source_files is written with each build
    shutil.copy(FIXTURES / "meeting_log_one_new_meeting.csv", home_copy / "inbox")
    run = bcd35(home_copy, "run")
    assert run.returncode == 4, run.stderr  # published, and a new file was quarantined
    assert "chia_se_am.csv" in bcd35(home_copy, "status").stdout
    # audit.source_files of the published build names every file of the demo and the
    # quarantined one, each with its status
    demo = sorted(p.name for p in (REPO / "seeds/demo/inbox").iterdir())
    with duckdb.connect(str(home_copy / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        files = dict(con.sql("select path, status from audit.source_files").fetchall())
    assert files == {**{f"demo/{name}": "loaded" for name in demo},
                     "chia_se_am.csv": "quarantined", "meeting_log_one_new_meeting.csv": "loaded"}


def test_negative_count_in_raw_layer_blocks_publication(home_copy: Path):
    """A raw file changed behind the ingestion's back is caught by the audit: its 2024 rows
    negated (the pack holds 2023's too, which stay as they were)."""
    [path] = [p for p in (home_copy / "raw" / "collaborator_shares").glob("*.parquet")
              if p.name != "_empty.parquet"][:1]
    table = pq.read_table(path)
    reach = [-n if year == 2024 else n for n, year in zip(
        table.column("luot_tiep_can").to_pylist(), table.column("_year").to_pylist(),
        strict=True)]
    assert 2023 in table.column("_year").to_pylist() and min(reach) < 0
    index = table.schema.get_field_index("luot_tiep_can")
    tampered = table.set_column(index, "luot_tiep_can", pc.cast(reach, table.schema.field(
        "luot_tiep_can").type))
    path.chmod(0o644)
    pq.write_table(tampered, path)
    _run_blocked_on(home_copy, "no_negative_counts")


# --- faults only a code defect can produce: planted in a copy of a real candidate -------------

@pytest.fixture
def candidate(demo_home: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "candidate.duckdb"
    shutil.copy(published_target(demo_home), copy)
    return copy


def _tamper(build: Path, sql: str) -> None:
    with duckdb.connect(str(build)) as con:
        con.execute(sql)


def test_clean_candidate_passes(candidate: Path):
    result = audit_candidate(candidate, previous=candidate)
    assert result.success, result.summary()
    assert result.warnings  # the demo has warnings (2023 is only December): not blocking


@pytest.mark.parametrize(("sql", "check"), [
    ("update marts.mart_kpi_annual set value = value + 1 "
     "where year = 2024 and kpi_code = 'hoi_nghi_tong_so'", "kpi_equals_recomputation"),
    ("update marts.mart_kpi_annual set value = value + 1 "
     "where year = 2024 and kpi_code = 'ban_tin_so_cuon'", "kpi_equals_recomputation"),
    ("update audit.audit_kpi_monthly_vs_annual set sum_of_months = sum_of_months - 1 "
     "where year = 2024 and kpi_code = 'fanpage_tin_bai'", "kpi_annual_equals_sum_of_months"),
    ("update audit.audit_meeting_totals set n_meetings_by_commune = n_meetings_by_commune - 1",
     "meeting_totals_by_commune"),
    ("update audit.audit_meeting_totals set n_meetings_by_kind = n_meetings_by_kind + 2",
     "meeting_totals_by_kind"),
    ("insert into marts.fct_posts select * from marts.fct_posts limit 1", "post_id_unique"),
    ("update marts.fct_posts set n_shares = -1 where post_id = "
     "(select min(post_id) from marts.fct_posts)", "no_negative_counts"),
    ("update audit.audit_bulletin_reconciliation set n_copies_distributed = 0 "
     "where issue_number = 5", "bulletin_reconciliation"),
])
def test_planted_defect_fails_its_check(candidate: Path, sql: str, check: str):
    _tamper(candidate, sql)
    result = audit_candidate(candidate, previous=candidate)
    assert not result.success
    assert check in result.failed_checks
