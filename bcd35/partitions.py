"""Partitions: a committee's figures of one year, the unit a night publishes or withholds.

A partition is ``(committee_code, year)``, the year a figure counts in (meeting date, bulletin
Năm, post publish time, share date, Năm thành tích). The facts and marts carry the committee
and that year under the column names of :data:`YEAR_COLUMNS`; reference tables (communes, KPI
catalogue, committees) carry none and are not partitioned.

A blocking check's failing rows name their partitions; a failure whose rows name none cannot
be scoped and blocks the whole night. A withheld partition keeps, in the published build, the
rows of the build it was last published from (:func:`keep_withheld`), and
``marts.published_partitions`` says for every partition which build it comes from and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bcd35.failpoints import failpoint

# the year columns of the facts, marts and audit tables, the partition's own first
YEAR_COLUMNS = ("year", "meeting_year", "issue_year", "published_year", "shared_year",
                "achievement_year")
# a meeting dated outside the year of its log concerns the log's year too
ALSO_CONCERNS = ("log_year",)
PUBLISHED_PARTITIONS = "marts.published_partitions"

Partition = tuple[str, int]
PUBLISHED_PARTITIONS_DOCS = {  # comments on the table and its columns, for `describe`
    "": "One row per partition (committee, year) of this published build: current, or withheld "
        "by failed checks (its rows are those of the build it was last published from).",
    "committee_code": "Mã ban chỉ đạo / committee code.",
    "year": "Năm số liệu được tính / the year the figures count in.",
    "status": "current: rows from this build; withheld: its checks failed, rows from build_id.",
    "build_id": "The build whose rows analysts read for this partition (null: never published).",
    "failed_checks": "The blocking checks that failed (withheld only).",
    "reason": "What the clerk must fix, Vietnamese / English, one line per row (withheld only).",
}

# The queries a night's publish and report run on every night bind no parameter: DuckDB's
# Python client imports numpy and pandas on the first one (0.5 s, and 86 MiB, in a stage that
# uses neither), and ``executemany`` costs about 1 ms a row. Names are filtered in Python, a
# year goes in as an int, the build id as a quoted literal; the few rows of withheld
# partitions (clerk text) stay bound parameters.


def partitions_of(rows: Iterable[Mapping[str, object]]) -> set[Partition] | None:
    """The partitions failing rows concern; ``None`` when a row names none (not scoped)."""
    found: set[Partition] = set()
    for row in rows:
        committee = row.get("committee_code")
        years = {row.get(c) for c in (*YEAR_COLUMNS, *ALSO_CONCERNS) if c in row}
        years = {int(y) for y in years if _is_year(y)}
        if not isinstance(committee, str) or not committee or not years:
            return None
        found.update((committee, y) for y in years)
    return found


def _is_year(value: object) -> bool:
    try:
        return value is not None and 1900 < int(value) < 3000  # NaN raises, so do strings
    except (TypeError, ValueError):
        return False


def year_column(columns: Sequence[str]) -> str | None:
    """The column that holds a table's partition year, if it is partitioned."""
    return next((c for c in YEAR_COLUMNS if c in columns), None)


@dataclass(frozen=True)
class PartitionedTable:
    """A table with a year: by committee (facts, KPI marts), or a roll-up of several
    committees by year (the province's KPIs), whose year is withheld when one of its
    committees' is: a total stays at its last published value until every part passes."""

    year_column: str
    by_committee: bool

    def where(self, partitions: Iterable[Partition]) -> tuple[str, list]:
        pairs = sorted(partitions)
        if not self.by_committee:
            years = sorted({y for _, y in pairs})
            clause = " or ".join(f"{self.year_column} = ?" for _ in years) or "false"
            return f"({clause})", years
        clause = " or ".join(f"(committee_code = ? and {self.year_column} = ?)"
                             for _ in pairs) or "false"
        return f"({clause})", [v for pair in pairs for v in pair]


@dataclass(frozen=True)
class Withheld:
    """A partition whose blocking checks failed, with what the clerk must fix."""

    committee_code: str
    year: int
    checks: tuple[str, ...]
    messages: tuple[str, ...]  # one clerk-readable line per failed row (Vietnamese / English)

    def to_dict(self) -> dict:
        return {"committee_code": self.committee_code, "year": self.year,
                "checks": list(self.checks), "messages": list(self.messages)}

    @classmethod
    def from_dict(cls, doc: Mapping) -> Withheld:
        return cls(doc["committee_code"], int(doc["year"]), tuple(doc.get("checks", ())),
                   tuple(doc.get("messages", ())))

    def render(self) -> str:
        lines = [f"{self.committee_code} {self.year}: giữ lại, không công bố / withheld "
                 f"({', '.join(self.checks)})"]
        # a row's message holds values from a file: a line break in one stays inside its line
        return "\n".join([*lines, *(f"    - {_one_line(m)}" for m in self.messages)])


def _one_line(text: str) -> str:
    return text.replace("\r", "\\x0d").replace("\n", "\\x0a")


def withheld_of(manifest: Mapping) -> list[Withheld]:
    """The partitions a build's audit withheld (from its manifest)."""
    return [Withheld.from_dict(w) for w in manifest.get("validation", {}).get("withheld", [])]


def partitioned_tables(con: duckdb.DuckDBPyConnection, schema: str = "marts",
                       catalog: str | None = None) -> dict[str, PartitionedTable]:
    """``schema.table`` → how it is partitioned, for every base table of ``schema`` with a
    year."""
    catalog = catalog or con.execute("select current_database()").fetchone()[0]
    rows = con.execute(
        "select c.table_catalog, c.table_schema, c.table_name, "
        "list(c.column_name order by c.ordinal_position) "
        "from information_schema.columns c join information_schema.tables t "
        "on t.table_catalog = c.table_catalog and t.table_schema = c.table_schema "
        "and t.table_name = c.table_name where t.table_type = 'BASE TABLE' "
        "group by 1, 2, 3 order by 3").fetchall()
    tables = {}
    for in_catalog, in_schema, name, columns in rows:
        if (in_catalog, in_schema) != (catalog, schema):
            continue
        column = year_column(columns)
        if column is not None and f"{schema}.{name}" != PUBLISHED_PARTITIONS:
            tables[f"{schema}.{name}"] = PartitionedTable(column, "committee_code" in columns)
    return tables


def partition_sources(con: duckdb.DuckDBPyConnection, sources: Sequence[Mapping],
                      committee: str, year: int) -> list[dict]:
    """The build's sources (its manifest's list) narrowed to the files with rows in the
    partition (the ``source_file_sha256`` its marts' rows name); all of them when its rows
    name no file."""
    shas: set[str] = set()
    for table, how in partitioned_tables(con).items():
        columns = {r[0] for r in con.execute(f"describe {table}").fetchall()}
        if not how.by_committee or "source_file_sha256" not in columns:
            continue
        shas |= {sha for who, sha in con.execute(
            f"select distinct committee_code, source_file_sha256 from {table} "
            f"where {how.year_column} = {int(year)}").fetchall() if who == committee}
    return [dict(s) for s in sources if not shas or s["sha256"] in shas]


def keep_withheld(candidate: Path, previous: Path | None, build_id: str,
                  withheld: Sequence[Withheld]) -> None:
    """Make ``candidate`` publishable: the rows of each withheld partition replaced by those of
    the ``previous`` published build (none where it had none), and ``published_partitions``
    written. Runs before the switch, on a file no analyst has open, in one transaction."""
    held = {(w.committee_code, w.year): w for w in withheld}
    with duckdb.connect(str(candidate)) as con:
        tables = partitioned_tables(con)
        origin: dict[Partition, str | None] = {}
        attached = bool(held) and previous is not None and previous.exists()
        if attached:
            assert previous is not None
            path = str(previous).replace("'", "''")
            con.execute(f"attach '{path}' as previous (read_only)")
            old_tables = {t: c for t, c in partitioned_tables(con, "marts", "previous").items()
                          if t in tables}
            before = _origins(con, "previous")
            present = _present(con, old_tables, "previous")
            for part in held:
                if part in before:
                    origin[part] = before[part][1]
                elif part in present:  # a build from before partitions were recorded
                    origin[part] = previous.stem
        con.execute("begin")
        for table, how in tables.items():
            where, params = how.where(held)
            con.execute(f"delete from {table} where {where}", params)
            kept = [p for p in held if origin.get(p)] if how.by_committee else list(held)
            if attached and kept and table in old_tables:
                where, params = old_tables[table].where(kept)
                con.execute(f"insert into {table} by name select * from previous.{table} "
                            f"where {where}", params)
            failpoint("publish:keep_withheld")  # a kill here: the old build stays published
        _write_published_partitions(con, tables, build_id, held, origin)
        con.execute("commit")
        if attached:
            con.execute("detach previous")


def _present(con: duckdb.DuckDBPyConnection, tables: Mapping[str, PartitionedTable],
             catalog: str | None = None) -> set[Partition]:
    """Every partition with a row in one of ``tables``."""
    union = _partitions_sql(tables, catalog)
    if not union:
        return set()
    return {(c, int(y)) for c, y in con.execute(union).fetchall() if y is not None}


def _partitions_sql(tables: Mapping[str, PartitionedTable], catalog: str | None = None) -> str:
    """A query of every ``(committee_code, year)`` with a row in one of ``tables`` (the year
    may be null); "" when none is by committee."""
    prefix = f"{catalog}." if catalog else ""
    return " union ".join(f"select committee_code, cast({how.year_column} as integer) as year "
                          f"from {prefix}{table}" for table, how in tables.items()
                          if how.by_committee)


def _origins(con: duckdb.DuckDBPyConnection,
             catalog: str) -> dict[Partition, tuple[str, str | None]]:
    """partition → (status, build id it comes from) in ``catalog``'s published_partitions."""
    exists = (catalog, "marts", "published_partitions") in con.execute(
        "select table_catalog, table_schema, table_name from information_schema.tables "
        "where table_name = 'published_partitions'").fetchall()
    if not exists:
        return {}
    quoted = '"' + catalog.replace('"', '""') + '"'
    rows = con.execute(f"select committee_code, year, status, build_id "
                       f"from {quoted}.{PUBLISHED_PARTITIONS}").fetchall()
    return {(c, int(y)): (s, b) for c, y, s, b in rows}


def _write_published_partitions(con: duckdb.DuckDBPyConnection,
                                tables: Mapping[str, PartitionedTable],
                                build_id: str, held: Mapping[Partition, Withheld],
                                origin: Mapping[Partition, str | None]) -> None:
    con.execute(f"create or replace table {PUBLISHED_PARTITIONS} (committee_code varchar, "
                "year integer, status varchar, build_id varchar, failed_checks varchar, "
                "reason varchar)")
    for column, text in PUBLISHED_PARTITIONS_DOCS.items():
        target = f"column {PUBLISHED_PARTITIONS}.{column}" if column else \
            f"table {PUBLISHED_PARTITIONS}"
        con.execute(f"comment on {target} is '{text}'")
    union = _partitions_sql(tables)
    if union:  # every partition with rows but the few withheld: by SQL, no Python row
        not_held = " and ".join(f"not (committee_code = {_text(c)} and year = {int(y)})"
                                for c, y in sorted(held)) or "true"
        con.execute(f"insert into {PUBLISHED_PARTITIONS} select committee_code, year, "
                    f"'current', {_text(build_id)}, null, null from ({union}) "
                    f"where year is not null and {not_held} order by 1, 2")
    rows = [(*part, "withheld", origin.get(part), ", ".join(w.checks), "\n".join(w.messages))
            for part, w in sorted(held.items())]
    if rows:
        con.executemany(f"insert into {PUBLISHED_PARTITIONS} values (?, ?, ?, ?, ?, ?)", rows)


def _text(value: str) -> str:
    """``value`` as an SQL string literal (DuckDB reads no escape in one but ``''``)."""
    return "'" + value.replace("'", "''") + "'"


def published_partitions(build: Path) -> dict[Partition, tuple[str, str | None]]:
    """partition → (current | withheld, the build its rows come from) of a published build."""
    with duckdb.connect(str(build), read_only=True) as con:
        return _origins(con, con.execute("select current_database()").fetchone()[0])
