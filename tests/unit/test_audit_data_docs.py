"""The audit writes its Great Expectations Data Docs once, after the last suite, and the site
holds every suite and every validation result (docs/performance.md#fixed-cost-of-a-small-night).

A checkpoint action that rebuilt the site after each suite was half of a small audit's time;
building once must lose no page: a suite per page under ``expectations/``, a validation per
page under ``validations/``, each linked from ``index.html``.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from great_expectations.data_context.data_context.abstract_data_context import (
    AbstractDataContext,
)

from bcd35.audit import audit_candidate
from bcd35.audit.suites import SuiteSpec


def _suite(name: str, column: str, low: int) -> SuiteSpec:
    return SuiteSpec(
        name=name, table="audit.counts", blocking=True, row_label_vi="dòng", row_label_en="row",
        document={"name": name, "meta": {"table": "audit.counts"}, "expectations": [{
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": column, "min_value": low},
            "meta": {"check": f"{name}_check", "title_vi": "thử", "title_en": "test",
                     "message_vi": "sai", "message_en": "wrong"},
        }]})


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    path = tmp_path / "candidate.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema audit")
        con.execute("create table audit.counts as select * from (values "
                    "('ham_yen', 2024, 3), ('ham_yen', 2023, -1)) as t(committee_code, year, n)")
    return path


SUITES = [_suite("counts_non_negative", "n", 0), _suite("years_recent", "year", 2000)]


def _site_pages(site: Path) -> tuple[set[str], set[str], set[str]]:
    suites = {p.stem for p in (site / "expectations").glob("*.html")}
    validations = {p.relative_to(site / "validations").parts[0]
                   for p in (site / "validations").rglob("*.html")}
    linked = set(re.findall(r'validations/([a-z_]+)/', (site / "index.html").read_text()))
    return suites, validations, linked


def test_data_docs_hold_every_suite_and_validation(candidate: Path, tmp_path: Path):
    site = tmp_path / "datadocs"
    result = audit_candidate(candidate, data_docs=site, suites=SUITES)
    assert result.failed_checks == ["counts_non_negative_check"]  # one failed, one passed
    names = {s.name for s in SUITES}
    assert _site_pages(site) == (names, names, names)


def test_data_docs_are_built_once_per_audit(candidate: Path, tmp_path: Path, monkeypatch):
    builds = []
    original = AbstractDataContext.build_data_docs

    def counted(self, *args, **kwargs):
        builds.append(kwargs.get("site_names"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractDataContext, "build_data_docs", counted)
    audit_candidate(candidate, data_docs=tmp_path / "datadocs", suites=SUITES)
    assert builds == [["bcd35"]]  # the audit's site, once, not a rebuild per suite
    builds.clear()
    audit_candidate(candidate, data_docs=None, suites=SUITES)
    assert builds == []  # no site asked for, none built
