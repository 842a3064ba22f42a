"""The audit holds one suite's frame at a time (docs/performance.md#memory).

Great Expectations keeps a pandas batch (the whole frame) in its data source; the audit deletes
each suite's data source once the suite has run, so the frames of the facts (millions of rows
at national scale) do not pile up to the end of the audit. The planted fault (a context whose
``data_sources.delete`` does nothing) shows the check failing.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import duckdb
import pytest
from great_expectations.datasource.fluent.sources import DataSourceManager

import bcd35.audit as audit
from bcd35.audit.suites import SuiteSpec


def _suite(name: str) -> SuiteSpec:
    return SuiteSpec(
        name=name, table="audit.counts", blocking=True, row_label_vi="dòng", row_label_en="row",
        document={"name": name, "meta": {"table": "audit.counts"}, "expectations": [{
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "n", "min_value": 0},
            "meta": {"check": f"{name}_check", "title_vi": "thử", "title_en": "test"},
        }]})


@pytest.fixture
def candidate(tmp_path: Path) -> Path:
    path = tmp_path / "candidate.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema audit")
        con.execute("create table audit.counts as select 'ham_yen' as committee_code, "
                    "2024 as year, range as n from range(1000)")
    return path


def _frames_alive_after_audit(candidate: Path, monkeypatch) -> int:
    """How many of the audit's frames are still referenced once the audit has returned."""
    refs: list[weakref.ref] = []
    frame = audit._frame

    def recorded(*args, **kwargs):
        df, scope = frame(*args, **kwargs)
        refs.append(weakref.ref(df))
        return df, scope

    monkeypatch.setattr(audit, "_frame", recorded)
    context = {}
    ephemeral = audit.ephemeral_context

    def kept(data_docs):  # the audit's context, kept alive here as GX keeps it while it runs
        context["gx"] = ephemeral(data_docs)
        return context["gx"]

    monkeypatch.setattr(audit, "ephemeral_context", kept)
    result = audit.audit_candidate(candidate, suites=[_suite("first"), _suite("second")])
    assert result.success and len(refs) == 2
    gc.collect()
    return sum(ref() is not None for ref in refs)


def test_no_frame_outlives_its_suite(candidate: Path, monkeypatch):
    assert _frames_alive_after_audit(candidate, monkeypatch) == 0


def test_planted_fault_frames_kept_by_their_data_sources(candidate: Path, monkeypatch):
    monkeypatch.setattr(DataSourceManager, "delete", lambda self, name: None)
    assert _frames_alive_after_audit(candidate, monkeypatch) == 2
