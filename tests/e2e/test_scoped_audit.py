"""An incremental night audits the partitions it changed, and finds what a full audit finds.

Through the real CLI on a copy of the demo home (Hàm Yên, 2023 and 2024): a new meeting of
2024, then a faulty one, then the fault taken back, then ``--force``. The build's manifest says,
per suite, which rows were validated (``validation.scope``, :mod:`bcd35.audit.scope`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bcd35.audit import audit_candidate
from bcd35.audit.scope import reusable_suites
from bcd35.config import Home
from bcd35.warehouse import read_manifest
from bcd35.warehouse.duckdb import DuckDBWarehouse
from bcd35.warehouse.incremental import read_inputs
from tests.support import FIXTURES, audit_outcome, bcd35, published_target

NEW_MEETING = "meeting_log_one_new_meeting.csv"  # Hàm Yên, 27/11/2024
FAULT = "meeting_log_line2_zero_attendees.csv"  # a meeting of Hàm Yên 2024 with 0 attendees
EXIT_PUBLISHED_WITHHELD = 3


def _scope(build: Path) -> dict[str, dict]:
    return {s["suite"]: s for s in read_manifest(build)["validation"]["scope"]}


def test_an_incremental_night_audits_the_changed_partitions_only(home_copy: Path):
    before = published_target(home_copy)
    shutil.copy(FIXTURES / NEW_MEETING, home_copy / "inbox" / NEW_MEETING)
    night = bcd35(home_copy, "run")
    assert night.returncode == 0, night.stdout + night.stderr
    build = published_target(home_copy)
    assert read_manifest(build)["started_from"] == before.stem

    scope = _scope(build)
    # the demo's meetings are all of 2024: their one partition changed
    assert scope["meetings"]["scoped"] and scope["meetings"]["partitions"] == 1
    # the KPIs of 2024 were validated again, those of 2023 were not
    kpis = scope["kpi_monthly_vs_annual"]
    assert kpis["scoped"] and (kpis["partitions"], kpis["partitions_total"]) == (1, 2)
    assert 0 < kpis["rows"] < kpis["rows_total"]
    # a suite whose table the night did not change validated nothing again
    assert scope["posts"]["scoped"] and scope["posts"]["rows"] == 0
    assert not scope["new_pages"]["scoped"], "a computed frame is audited in full"

    # the same candidate audited in full: the same outcome, check for check
    reuse = reusable_suites(read_manifest(before))
    assert "meetings" in reuse.suites
    scoped = audit_candidate(build, before, reuse=reuse)
    full = audit_candidate(build, before)
    assert not any(s.scoped for s in full.scope)
    assert audit_outcome(scoped) == audit_outcome(full)


def test_a_fault_in_the_changed_partition_is_withheld_then_audited_in_full(home_copy: Path):
    shutil.copy(FIXTURES / FAULT, home_copy / "inbox" / FAULT)
    night = bcd35(home_copy, "run")
    assert night.returncode == EXIT_PUBLISHED_WITHHELD, night.stdout + night.stderr
    assert "ham_yen 2024" in night.stderr and "meeting_attendees_positive" in night.stderr
    build = published_target(home_copy)
    assert _scope(build)["meetings"]["scoped"], "found by the scoped audit"

    # the published build withheld a partition: the next night audits every suite in full
    (home_copy / "inbox" / FAULT).unlink()
    again = bcd35(home_copy, "run")
    assert again.returncode == 0, again.stdout + again.stderr
    scope = _scope(published_target(home_copy))
    assert not any(s["scoped"] for s in scope.values())
    assert "withheld partitions" in scope["meetings"]["reason"]

    forced = bcd35(home_copy, "run", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    scope = _scope(published_target(home_copy))
    assert not any(s["scoped"] for s in scope.values())
    assert scope["meetings"]["reason"] == "not an incremental night"


def test_only_a_build_started_from_the_published_one_reuses_its_audit(home_copy: Path):
    shutil.copy(FIXTURES / NEW_MEETING, home_copy / "inbox" / NEW_MEETING)
    before = published_target(home_copy)
    assert bcd35(home_copy, "run").returncode == 0
    build = published_target(home_copy)
    home, warehouse = Home(home_copy), DuckDBWarehouse()
    inputs = read_inputs(build)
    assert warehouse.reusable_suites(home, inputs, before.stem).suites >= {"meetings", "posts"}
    assert warehouse.reusable_suites(home, inputs, None).suites == frozenset()
    # the candidate started from another build
    assert warehouse.reusable_suites(home, inputs, build.stem).suites == frozenset()
    # the code, suites or reference data changed between the build and its audit
    changed = warehouse.reusable_suites(home, {**inputs, "base_fingerprint": "0" * 64},
                                        before.stem)
    assert changed.suites == frozenset() and "changed since the build" in changed.reason
