"""Audit a candidate build with Great Expectations before anything is published
(docs/operator.md#checks).

DuckDB data is validated as pandas DataFrames of the small audit and mart tables (GX on
duckdb-engine is broken, GX #10738/#11579). ``Checkpoint.run()`` never raises, so every
result's ``success`` is checked here.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from bcd35.audit.gx import build_data_docs, ephemeral_context, quiet
from bcd35.audit.messages import MAX_ROWS_PER_FAILURE, row_line, row_lines
from bcd35.audit.scope import FULL, PUBLISHED, Reuse, Scope, scoped_frame
from bcd35.audit.suites import SuiteSpec, load_suites
from bcd35.audit.tables import partitions as row_partitions
from bcd35.partitions import ALSO_CONCERNS, YEAR_COLUMNS, Withheld
from bcd35.partitions import partitions_of as scope_of

if TYPE_CHECKING:  # pandas only when an audit runs: the other stages import this package
    import pandas as pd

__all__ = ["MAX_ROWS_PER_FAILURE", "AuditResult", "CheckFailure", "CheckOutcome",
           "audit_candidate"]


@dataclass
class CheckFailure:
    suite: str
    check: str
    blocking: bool
    message_vi: str
    message_en: str
    rows: list[str] = field(default_factory=list)  # one clerk-readable line per bad row
    # the (committee_code, year) partitions the failing rows concern; None: not scoped (the
    # failure blocks the whole night)
    partitions: list[list] | None = None

    def render(self) -> str:
        head = f"[{self.check}] {self.message_vi} / {self.message_en}"
        return "\n".join([head, *(f"    - {r}" for r in self.rows)])


@dataclass(frozen=True)
class CheckOutcome:
    suite: str
    check: str
    blocking: bool
    success: bool
    title_vi: str
    title_en: str
    # of a failed check: {committee_code, year, failed_rows, example} per partition it found
    # bad rows in (audit.check_results)
    partitions: list[dict] = field(default_factory=list)


@dataclass
class AuditResult:
    success: bool
    n_expectations: int
    failures: list[CheckFailure]
    warnings: list[CheckFailure]
    checks: list[CheckOutcome] = field(default_factory=list)  # every expectation run
    # per suite: the rows it validated (all, or the partitions changed since the published
    # build: bcd35.audit.scope)
    scope: list[Scope] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[str]:
        return sorted({f.check for f in self.failures})

    @property
    def scoped(self) -> bool:
        """Every blocking failure names the partitions it concerns: they can be withheld and
        the rest published."""
        return all(f.partitions for f in self.failures)

    def withheld(self) -> list[Withheld]:
        """The partitions whose blocking checks failed, each with its checks and messages."""
        by_part: dict[tuple[str, int], list[CheckFailure]] = {}
        for f in self.failures:
            for committee, year in f.partitions or ():
                by_part.setdefault((committee, int(year)), []).append(f)
        return [Withheld(c, y, tuple(sorted({f.check for f in fs})),
                         tuple(line for f in fs for line in f.rows))
                for (c, y), fs in sorted(by_part.items())]

    def summary(self) -> str:
        if self.success:
            head = (f"Kiểm tra đạt: {self.n_expectations} điều kiện / "
                    f"Audit passed: {self.n_expectations} expectations")
        else:
            head = (f"KIỂM TRA KHÔNG ĐẠT — số liệu không được công bố / AUDIT FAILED — nothing "
                    f"published. Failed checks: {', '.join(self.failed_checks)}")
        parts = [head, *(f.render() for f in self.failures)]
        parts += [f"(cảnh báo / warning) {w.render()}" for w in self.warnings]
        return "\n".join(parts)

    def to_dict(self) -> dict:
        return {
            "success": self.success,
            "n_expectations": self.n_expectations,
            "failed_checks": self.failed_checks,
            "withheld": [w.to_dict() for w in self.withheld()],
            "failures": [asdict(f) for f in self.failures],
            "warnings": [asdict(w) for w in self.warnings],
            "checks": [asdict(c) for c in self.checks],
            "scope": [s.to_dict() for s in self.scope],
        }


def _frame(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, previous: Path | None,
           reuse: Reuse) -> tuple[pd.DataFrame, Scope]:
    """The suite's rows: the whole table, or (``reuse``: the suites the published build's
    audit passed, attached as ``PUBLISHED``) those of the partitions changed since."""
    table = spec.table
    if table == "python:new_pages":
        frame = new_pages_frame(con, previous)
        return frame, Scope(spec.name, table, False, len(frame), len(frame),
                            reason="a computed frame")
    if table.startswith("python:"):
        raise ValueError(f"unknown computed frame {table}")
    schema, name = table.split(".")
    columns = _needed_columns(con, schema, name, spec)
    frame, reason, (changed, total, rows) = scoped_frame(con, spec, schema, name, columns,
                                                         reuse)
    if frame is not None:
        return frame, Scope(spec.name, table, True, len(frame), rows, changed, total)
    listed = ", ".join(f'"{c}"' for c in columns)
    frame = con.sql(f'select {listed} from "{schema}"."{name}"').df()
    return frame, Scope(spec.name, table, False, len(frame), len(frame), reason=reason)


def _needed_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                    spec: SuiteSpec) -> list[str]:
    """The table's columns the suite names (expectations, messages, row labels) and the
    source-file columns messages point to; the facts of a province hold millions of rows,
    and only these go into memory."""
    present = [row[0] for row in con.execute(
        "select column_name from information_schema.columns where table_catalog = "
        "current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, name]).fetchall()]
    text = json.dumps(spec.document, ensure_ascii=False) + spec.row_label_vi + spec.row_label_en
    named = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    named.update(("committee_code", *YEAR_COLUMNS, *ALSO_CONCERNS))  # to scope failures
    return [c for c in present if c in named or c.startswith("source_")
            or c == "year" or c.endswith("_year")] or present


def new_pages_frame(con: duckdb.DuckDBPyConnection, previous: Path | None) -> pd.DataFrame:
    """One row per page in the candidate: is it on the office's page list?

    The list (``HOME/reference/pages.csv``, built into ``staging.stg_home__pages``) is the
    only thing that silences the warning, so an unlisted page is warned about every night,
    not only the first night it appears. ``previous`` is kept for callers; it no longer
    decides anything.
    """
    del previous
    return con.sql(
        "select posts.committee_code, posts.page_id, max(posts.page_name) as page_name, "
        "count(*) as n_posts, "
        "bool_or(listed.page_id is not null) as is_known_page "
        "from marts.fct_posts as posts "
        "left join staging.stg_home__pages as listed on posts.page_id = listed.page_id "
        "group by 1, 2 order by 1, 2"
    ).df()


def _failed_rows(result: dict, df: pd.DataFrame) -> list[dict]:
    rows = []
    for idx in result.get("unexpected_index_list") or []:
        if isinstance(idx, dict):  # GX may return {index_column: value}
            idx = next(iter(idx.values()))
        rows.append(df.loc[idx].to_dict())
    return rows


def partitions_of(rows: list[dict], spec: SuiteSpec, meta: dict,
                  file_names: dict[str, str]) -> list[dict]:
    """Per committee and year of the failed rows: how many, and the first one told."""
    return [{"committee_code": committee, "year": year, "failed_rows": n,
             "example": row_line(spec, meta, first, file_names) if "message_vi" in meta else ""}
            for committee, year, n, first in row_partitions(rows)]


def _scope(rows: list[dict]) -> list[list] | None:
    """Every failing row's partitions (all rows, not only those shown); None if not scoped."""
    found = scope_of(rows) if rows else None
    return None if found is None else [list(p) for p in sorted(found)]


def run_checkpoint(context, spec: SuiteSpec, batch_definition, result_format: dict,
                   batch_parameters: dict | None = None):
    """The suite ``spec`` on one batch, through a GX checkpoint; the validation result of the
    suite. Both engines run their suites here; only the batch differs (a pandas frame, or a
    PostgreSQL table or query). Data Docs are built once, after the last suite
    (:func:`bcd35.audit.gx.build_data_docs`), not by an action of each checkpoint
    (docs/performance.md#fixed-cost-of-a-small-night)."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=spec.name, expectations=spec.document["expectations"])
    if len(suite.expectations) != len(spec.document["expectations"]):
        raise ValueError(f"suite {spec.name}: some expectations are invalid (see the GX log)")
    suite = context.suites.add(suite)
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=spec.name, data=batch_definition, suite=suite))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=spec.name, validation_definitions=[definition], result_format=result_format))
    run = checkpoint.run(batch_parameters=batch_parameters)  # never raises: .success below
    [results] = run.run_results.values()
    return results


def outcomes_of(results, spec: SuiteSpec, file_names: dict[str, str],
                failed_rows) -> tuple[list[CheckOutcome], list[CheckFailure]]:
    """Every expectation's outcome, and a failure (its rows in the clerk's words, the
    partitions they concern) for each that failed. ``failed_rows(result)`` gives the failed
    rows as dicts and how many failed in all (an engine's way of returning them)."""
    outcomes, failures = [], []
    for r in results.results:
        meta = r.expectation_config.meta or {}
        check = meta.get("check", r.expectation_config.type)
        bad, total = ([], 0) if r.success else failed_rows(r.result)
        outcomes.append(CheckOutcome(
            suite=spec.name, check=check, blocking=spec.blocking, success=bool(r.success),
            title_vi=meta.get("title_vi", ""), title_en=meta.get("title_en", ""),
            partitions=partitions_of(bad, spec, meta, file_names)))
        if r.success:
            continue
        failure = CheckFailure(
            suite=spec.name, check=check, blocking=spec.blocking,
            message_vi=meta.get("title_vi", r.expectation_config.type),
            message_en=meta.get("title_en", r.expectation_config.type),
            rows=row_lines(spec, meta, bad[:MAX_ROWS_PER_FAILURE], total, file_names),
            partitions=_scope(bad))
        if r.exception_info and r.exception_info.get("raised_exception"):
            failure.rows.append(str(r.exception_info.get("exception_message")))
        failures.append(failure)
    return outcomes, failures


def _validate(context, spec: SuiteSpec, df: pd.DataFrame,
              file_names: dict[str, str]) -> tuple[list[CheckOutcome], list[CheckFailure]]:
    asset = context.data_sources.add_pandas(spec.name).add_dataframe_asset(spec.name)
    try:
        results = run_checkpoint(
            context, spec, asset.add_batch_definition_whole_dataframe(spec.name),
            {"result_format": "COMPLETE"}, {"dataframe": df})
    finally:
        # GX keeps the batch (the whole frame) in its data source: without this, every
        # suite's frame stayed in memory to the end of the audit (2.8 GiB at national, 2.1
        # GiB with it: docs/performance.md#memory)
        context.data_sources.delete(spec.name)

    def failed_rows(result: dict) -> tuple[list[dict], int]:
        rows = _failed_rows(result, df)
        return rows, len(rows)

    return outcomes_of(results, spec, file_names, failed_rows)


def audit_candidate(candidate: Path, previous: Path | None = None,
                    data_docs: Path | None = None,
                    suites: list[SuiteSpec] | None = None,
                    file_names: dict[str, str] | None = None,
                    reuse: Reuse = FULL) -> AuditResult:
    """Run every committed suite on the candidate build; never raises on failed checks.

    ``previous`` is the build published before (for the new-page warning); ``data_docs``
    a directory for the Great Expectations Data Docs site of this audit; ``file_names`` maps
    source sha256 to the file's name in the inbox, so messages name the file a clerk knows.
    ``reuse``: the suites whose outcome on the rows unchanged since ``previous`` is known
    (the candidate started from it, and its audit passed them): they are run on the changed
    partitions' rows only (:mod:`bcd35.audit.scope`).
    """
    quiet()
    context = ephemeral_context(data_docs)
    suites = suites if suites is not None else load_suites()
    checks: list[CheckOutcome] = []
    failures: list[CheckFailure] = []
    scopes: list[Scope] = []
    with duckdb.connect(str(candidate), read_only=True) as con:
        if reuse.suites and previous is not None:
            quoted = str(previous).replace("'", "''")
            con.execute(f"attach '{quoted}' as {PUBLISHED} (read_only)")
        elif reuse.suites:
            reuse = Reuse(reason="no published build")
        for spec in suites:
            frame, scope = _frame(con, spec, previous, reuse)
            outcomes, found = _validate(context, spec, frame, file_names or {})
            checks += outcomes
            failures += found
            scopes.append(scope)
    build_data_docs(context, data_docs)
    blocking = [f for f in failures if f.blocking]
    warnings = [f for f in failures if not f.blocking]
    return AuditResult(success=not blocking, n_expectations=len(checks),
                       failures=blocking, warnings=warnings, checks=checks, scope=scopes)
