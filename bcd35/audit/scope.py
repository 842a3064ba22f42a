"""Audit again only the partitions that changed since the published build
(docs/operator.md#checks, "What a night audits").

An incremental night (:mod:`bcd35.warehouse.incremental`) starts from the published build and
changes a few partitions (committee, year); most rows of every audited table are the rows the
published build's audit passed. A suite whose every expectation looks at one row at a time
(:data:`ROW_LOCAL`) gives, on a table, the union of what it gives on each partition's rows;
so on the rows of a partition that did not change (the same rows, as an order-independent
hash of the columns the suite reads, :func:`changed_partitions`), it gives what it gave the
published build: success. Such a suite is run on the rows of the changed partitions only.

A suite is audited in full, as before, when any of this does not hold:

- the candidate started from the published build (same code, suites and reference data: the
  build's base fingerprint) and the run is not forced (the warehouse decides: ``reuse``);
- the published build's audit passed every blocking check (nothing withheld: its file holds
  exactly the rows it audited) and every expectation of this suite (a warning is told every
  night it holds, so a suite that warned is run in full);
- every expectation of the suite is row-local (:data:`ROW_LOCAL`), with no ``mostly`` below
  1, or a column's uniqueness (:data:`UNIQUE`: the frame then also holds every row of an
  unchanged partition that shares a value with a changed one, so a duplicate across the two
  is found, and both its rows are named, as in a full audit);
- the table has a committee and a year column, and the published build has the same columns.

What was scoped is recorded in the build's manifest (``validation.scope``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from bcd35.audit.suites import SuiteSpec
from bcd35.partitions import year_column

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

#: The catalog the published build is attached as, beside the candidate.
PUBLISHED = "bcd35_published"

#: Expectations whose outcome on a row depends on that row only.
ROW_LOCAL = frozenset({
    "expect_column_values_to_be_between",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
    "expect_column_value_lengths_to_be_between",
    "expect_column_value_lengths_to_equal",
    "expect_column_pair_values_to_be_equal",
    "expect_column_pair_values_a_to_be_greater_than_b",
    "expect_multicolumn_sum_to_equal",
    "expect_select_column_values_to_be_unique_within_record",
})

#: Uniqueness of a column across rows (nulls are not compared).
UNIQUE = "expect_column_values_to_be_unique"


@dataclass(frozen=True)
class Scope:
    """How much of a suite's table the audit validated (a manifest entry)."""

    suite: str
    table: str
    scoped: bool
    rows: int  # rows validated
    rows_total: int  # rows of the table (of the computed frame)
    partitions: int | None = None  # partitions validated (changed since the published build)
    partitions_total: int | None = None
    reason: str = ""  # why the suite was validated in full

    def to_dict(self) -> dict:
        return asdict(self)


def _unique_columns(spec: SuiteSpec) -> list[str] | None:
    """The columns of the suite's uniqueness checks, or None when a check is neither
    row-local nor one of those (the suite cannot be scoped)."""
    unique: list[str] = []
    for expectation in spec.document.get("expectations", []):
        kind, kwargs = expectation.get("type", ""), expectation.get("kwargs", {})
        if kwargs.get("mostly", 1) != 1:
            return None
        if kind == UNIQUE and isinstance(kwargs.get("column"), str):
            unique.append(kwargs["column"])
        elif kind not in ROW_LOCAL:
            return None
    return unique


def why_not_scoped(spec: SuiteSpec, columns: Sequence[str], reuse: Reuse) -> str:
    """Why the suite must be validated in full ("" when it may be scoped)."""
    if spec.name not in reuse.suites:
        return reuse.reason
    if spec.table.startswith("python:"):
        return "a computed frame"
    if _unique_columns(spec) is None:
        return "an expectation that is not row by row"
    if "committee_code" not in columns or year_column(columns) is None:
        return "no committee and year columns"
    return ""


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_catalog = "
        "current_database() and table_schema = ? and table_name = ? "
        "and table_type = 'BASE TABLE'", [schema, name]).fetchone()[0] == 1


def _same_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                  columns: Sequence[str]) -> bool:
    """The published build's table has these columns with the candidate's types."""
    query = ("select column_name, data_type from information_schema.columns "
             "where table_catalog = {catalog} and table_schema = ? and table_name = ?")
    here = dict(con.execute(query.format(catalog="current_database()"),
                            [schema, name]).fetchall())
    there = dict(con.execute(query.format(catalog=f"'{PUBLISHED}'"),
                             [schema, name]).fetchall())
    return all(c in there and there[c] == here.get(c) for c in columns)


def changed_partitions(con: duckdb.DuckDBPyConnection, schema: str, name: str,
                       columns: Sequence[str]) -> tuple[int, int, int]:
    """Fill the temporary table ``changed_partitions`` with the (committee, year) whose rows
    of ``columns`` differ between the candidate and the published build (a row count and a
    sum of row hashes per partition: the same multiset of rows, in any order, is unchanged);
    returns the candidate's changed partitions, its partitions and its rows."""
    year = year_column(columns)
    assert year is not None
    hashed = ", ".join(_quote(c) for c in columns)
    per_partition = ("select committee_code as k1, {year} as k2, count(*) as n, "
                     "sum(hash({hashed})::hugeint) as h from {table} group by all")
    table = f"{_quote(schema)}.{_quote(name)}"
    con.execute("create or replace temp table partitions_here as "
                + per_partition.format(year=_quote(year), hashed=hashed, table=table))
    there = per_partition.format(year=_quote(year), hashed=hashed,
                                 table=f"{PUBLISHED}.{table}")
    con.execute("create or replace temp table changed_partitions as "
                "select coalesce(a.k1, b.k1) as k1, coalesce(a.k2, b.k2) as k2, "
                "a.n is not null as here "
                f"from partitions_here as a full join ({there}) as b "
                "on a.k1 is not distinct from b.k1 and a.k2 is not distinct from b.k2 "
                "where a.n is distinct from b.n or a.h is distinct from b.h")
    changed = con.execute("select count(*) from changed_partitions where here").fetchone()[0]
    total, rows = con.execute(
        "select count(*), coalesce(sum(n), 0) from partitions_here").fetchone()
    return int(changed), int(total), int(rows)


def scoped_frame(con: duckdb.DuckDBPyConnection, spec: SuiteSpec, schema: str, name: str,
                 columns: Sequence[str], reuse: Reuse) -> tuple[pd.DataFrame | None, str,
                                                                tuple[int, int, int]]:
    """The suite's frame on the changed partitions' rows (and, for its uniqueness checks,
    every row sharing a value with them), in table order; or (None, reason) for a full
    audit."""
    reason = why_not_scoped(spec, columns, reuse)
    if not reason and not _is_table(con, schema, name):
        # a view's rows would be computed on both builds: more than validating them all
        reason = "a view"
    if not reason and not _same_columns(con, schema, name, columns):
        reason = "the published build's table has other columns"
    if reason:
        return None, reason, (0, 0, 0)
    counts = changed_partitions(con, schema, name, columns)
    year = _quote(year_column(columns) or "")

    def in_changed(alias: str) -> str:
        return ("exists (select 1 from changed_partitions as c where c.k1 is not distinct "
                f"from {alias}.committee_code and c.k2 is not distinct from {alias}.{year})")

    conditions = [in_changed("t")]
    for column in _unique_columns(spec) or []:
        conditions.append(f"t.{_quote(column)} in (select u.{_quote(column)} from rows_ as u "
                          f"where {in_changed('u')})")
    listed = ", ".join(_quote(c) for c in columns)
    table = f"{_quote(schema)}.{_quote(name)}"
    frame = con.sql(
        f"with rows_ as (select row_number() over () as row_, {listed} from {table}) "
        f"select {', '.join(f't.{_quote(c)}' for c in columns)} from rows_ as t "
        f"where {' or '.join(conditions)} order by t.row_").df()
    return frame, "", counts


@dataclass(frozen=True)
class Reuse:
    """The suites whose outcome on the rows unchanged since the published build is known,
    or why none is (the reason every suite of the audit then gives)."""

    suites: frozenset[str] = frozenset()
    reason: str = "not an incremental night"


#: Nothing reused: every suite on every row.
FULL = Reuse()


def reusable_suites(manifest: Mapping) -> Reuse:
    """The suites whose every expectation passed in a build's audit (from its manifest),
    when that audit passed every blocking check and withheld nothing; else none."""
    validation = manifest.get("validation", {})
    if not validation.get("all_checks_passed") or validation.get("withheld"):
        return Reuse(reason="the published build's audit failed checks or withheld "
                            "partitions")
    passed: dict[str, bool] = {}
    for check in validation.get("checks", []):
        suite = check.get("suite", "")
        passed[suite] = passed.get(suite, True) and check.get("success") is True
    return Reuse(frozenset(suite for suite, ok in passed.items() if ok and suite),
                 reason="not passed in full by the published build's audit")
