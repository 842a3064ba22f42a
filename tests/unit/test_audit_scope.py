"""The audit of an incremental night runs a suite on the partitions changed since the published
build only, and finds what the audit of every row finds (:mod:`bcd35.audit.scope`).

Two small DuckDB builds (the published one and a candidate) and real Great Expectations: each
planted fault is found by the scoped audit as by a full one, with the same partitions; what
cannot be scoped is audited in full, with the reason recorded.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bcd35.audit import audit_candidate
from bcd35.audit.scope import Reuse, reusable_suites
from bcd35.audit.suites import SuiteSpec
from tests.support import audit_outcome

ROWS = [("ham_yen", 2023, "p1", 5), ("ham_yen", 2023, "p2", 7),
        ("ham_yen", 2024, "p3", 1), ("yen_son", 2024, "p4", 2)]


def _expectation(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs,
            "meta": {"check": f"{kind}_{kwargs.get('column', '')}", "title_vi": "thử",
                     "title_en": "test", "message_vi": "sai", "message_en": "wrong"}}


def _suite(name: str, *expectations: dict, table: str = "marts.posts") -> SuiteSpec:
    return SuiteSpec(name=name, table=table, blocking=True, row_label_vi="Bài {post_id}",
                     row_label_en="Post {post_id}",
                     document={"name": name, "meta": {"table": table},
                               "expectations": list(expectations)})


POSITIVE = _suite("positive", _expectation("expect_column_values_to_be_between",
                                           column="n", min_value=1))
UNIQUE = _suite("unique", _expectation("expect_column_values_to_be_unique", column="post_id"))


def _build(path: Path, rows: list[tuple]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.posts (committee_code varchar, published_year integer, "
                    "post_id varchar, n integer)")
        con.executemany("insert into marts.posts values (?, ?, ?, ?)", rows)
        con.execute("create view marts.posts_view as select * from marts.posts")
    return path


def _audit(candidate: Path, published: Path, suites: list[SuiteSpec], scoped: bool):
    reuse = Reuse(frozenset(s.name for s in suites)) if scoped else Reuse()
    return audit_candidate(candidate, published, suites=suites, reuse=reuse)


@pytest.fixture
def published(tmp_path: Path) -> Path:
    return _build(tmp_path / "published.duckdb", ROWS)


def test_only_the_changed_partition_is_validated(published: Path, tmp_path: Path):
    candidate = _build(tmp_path / "candidate.duckdb", [*ROWS, ("ham_yen", 2024, "p5", 3)])
    result = _audit(candidate, published, [POSITIVE], scoped=True)
    [scope] = result.scope
    assert result.success
    assert (scope.scoped, scope.rows, scope.rows_total) == (True, 2, 5)
    assert (scope.partitions, scope.partitions_total) == (1, 3)
    # the same rows in another order are the same partitions: nothing to validate again
    again = _build(tmp_path / "reordered.duckdb", list(reversed(ROWS)))
    [scope] = _audit(again, published, [POSITIVE], scoped=True).scope
    assert (scope.scoped, scope.rows, scope.partitions) == (True, 0, 0)


def test_a_fault_in_a_changed_partition_is_found_as_by_a_full_audit(published: Path,
                                                                     tmp_path: Path):
    candidate = _build(tmp_path / "candidate.duckdb", [*ROWS, ("ham_yen", 2024, "p5", 0)])
    scoped = _audit(candidate, published, [POSITIVE], scoped=True)
    full = _audit(candidate, published, [POSITIVE], scoped=False)
    assert not scoped.success and scoped.scope[0].scoped and not full.scope[0].scoped
    assert [w.to_dict()["committee_code"] for w in scoped.withheld()] == ["ham_yen"]
    assert audit_outcome(scoped) == audit_outcome(full)


def test_a_changed_value_changes_its_partition(published: Path, tmp_path: Path):
    """One value of an unchanged-looking partition (same row count) is a change."""
    rows = [("yen_son", 2024, "p4", 0) if r[2] == "p4" else r for r in ROWS]
    candidate = _build(tmp_path / "candidate.duckdb", rows)
    scoped = _audit(candidate, published, [POSITIVE], scoped=True)
    assert scoped.scope[0].partitions == 1 and scoped.failed_checks
    assert [(w.committee_code, w.year) for w in scoped.withheld()] == [("yen_son", 2024)]


def test_a_duplicate_across_a_changed_and_an_unchanged_partition_is_found(published: Path,
                                                                          tmp_path: Path):
    # p1 is a post of Hàm Yên 2023 (unchanged); Yên Sơn 2024 now has it too
    candidate = _build(tmp_path / "candidate.duckdb", [*ROWS, ("yen_son", 2024, "p1", 4)])
    scoped = _audit(candidate, published, [UNIQUE], scoped=True)
    full = _audit(candidate, published, [UNIQUE], scoped=False)
    assert scoped.scope[0].scoped and scoped.scope[0].partitions == 1
    assert scoped.scope[0].rows == 3, "the changed partition and the row it duplicates"
    assert not scoped.success
    assert {(w.committee_code, w.year) for w in scoped.withheld()} == {
        ("ham_yen", 2023), ("yen_son", 2024)}, "both rows are named, as in a full audit"
    assert audit_outcome(scoped) == audit_outcome(full)


@pytest.mark.parametrize(("suite", "reason"), [
    (_suite("sum", _expectation("expect_column_sum_to_be_between", column="n", min_value=0)),
     "not row by row"),
    (_suite("mostly", _expectation("expect_column_values_to_be_between", column="n",
                                   min_value=1, mostly=0.5)), "not row by row"),
    (_suite("view", _expectation("expect_column_values_to_be_between", column="n",
                                 min_value=1), table="marts.posts_view"), "a view"),
])
def test_what_cannot_be_scoped_is_audited_in_full(published: Path, tmp_path: Path,
                                                  suite: SuiteSpec, reason: str):
    candidate = _build(tmp_path / "candidate.duckdb", [*ROWS, ("ham_yen", 2024, "p5", 3)])
    [scope] = _audit(candidate, published, [suite], scoped=True).scope
    assert not scope.scoped and reason in scope.reason
    assert scope.rows == scope.rows_total == 5


def test_a_published_table_with_other_columns_is_audited_in_full(tmp_path: Path):
    published = tmp_path / "published.duckdb"
    with duckdb.connect(str(published)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.posts as select committee_code, published_year, "
                    "post_id, n::double as n from (values ('ham_yen', 2023, 'p1', 5)) "
                    "as t(committee_code, published_year, post_id, n)")
    candidate = _build(tmp_path / "candidate.duckdb", ROWS)
    [scope] = _audit(candidate, published, [POSITIVE], scoped=True).scope
    assert not scope.scoped and "other columns" in scope.reason


def _manifest(checks: list[tuple[str, bool]], all_passed: bool = True,
              withheld: list | None = None) -> dict:
    return {"validation": {"all_checks_passed": all_passed, "withheld": withheld or [],
                           "checks": [{"suite": s, "success": ok} for s, ok in checks]}}


def test_only_suites_the_published_audit_passed_are_reused():
    checks = [("posts", True), ("posts", True), ("pages", False), ("meetings", True)]
    assert reusable_suites(_manifest(checks)).suites == {"posts", "meetings"}
    failed = reusable_suites(_manifest(checks, all_passed=False))
    assert failed.suites == frozenset() and "failed checks" in failed.reason
    withheld = [{"committee_code": "ham_yen", "year": 2024}]
    assert reusable_suites(_manifest(checks, withheld=withheld)).suites == frozenset()
    assert reusable_suites({}).suites == frozenset()
