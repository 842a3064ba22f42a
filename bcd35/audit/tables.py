"""What the audit found and which files made the build, as tables published with the build.

``audit.check_results``: one row per check that passed (partition null) and one row per
committee and year a failed check found bad rows in (its partition; null when the check's rows
carry no committee or year), plus the office's reference rows refused by the night.
``audit.source_files``: one row per file the registry knows (loaded, quarantined, superseded,
withdrawn, …) with the rows it gave this build. Both are written into the candidate before it
can be published (DuckDB: the candidate file; PostgreSQL: the candidate's audit schema), so
every question about provenance and quality is one SQL query on the published build; a failed
candidate carries them too, for inspection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

CHECK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("build_id", "text"), ("suite", "text"), ("check_name", "text"),
    ("committee_code", "text"), ("year", "integer"), ("severity", "text"),
    ("passed", "boolean"), ("failed_rows", "integer"), ("message", "text"),
    ("checked_at", "timestamp"),
)
FILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("build_id", "text"), ("sha256", "text"), ("path", "text"), ("file_name", "text"),
    ("kind", "text"), ("status", "text"), ("n_rows", "integer"),
    ("n_rows_in_build", "integer"), ("n_rejected_rows", "integer"), ("reason", "text"),
    ("superseded_by", "text"), ("ingest_seq", "integer"), ("first_seen_at", "timestamp"),
    ("last_seen_at", "timestamp"),
)
COMMENTS = {
    "check_results": "One row per audit check that passed, and per committee and year "
                     "(partition) a failed check found bad rows in, for this build.",
    "source_files": "One row per file the registry knows (loaded, quarantined, superseded, "
                    "withdrawn) with the rows it gave this build.",
}
HOME_REFERENCE_SUITE = "home_reference"
HOME_REFERENCE_CHECK = "home_reference_row_refused"


def partition_of(row: Mapping[str, object]) -> tuple[str | None, int | None]:
    """(committee_code, year) of a failed row: ``year``, else the first ``*_year`` column."""
    committee = row.get("committee_code")
    year = row.get("year")
    if year is None:
        year = next((v for k, v in row.items() if k.endswith("_year") and v is not None), None)
    try:
        year = None if year is None or year != year else int(year)  # NaN != NaN
    except (TypeError, ValueError):
        year = None
    return (None if committee is None else str(committee)), year


def partitions(rows: Sequence[Mapping[str, object]]) -> list[tuple[str | None, int | None,
                                                                   int, Mapping[str, object]]]:
    """(committee, year, number of failed rows, first failed row) per partition."""
    found: dict[tuple[str | None, int | None], list] = {}
    for row in rows:
        key = partition_of(row)
        if key in found:
            found[key][0] += 1
        else:
            found[key] = [1, row]
    return [(c, y, n, first) for (c, y), (n, first) in
            sorted(found.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or 0))]


def check_rows(build_id: str, checks: Iterable, problems: Iterable[Mapping[str, object]] = (),
               reference_files: Sequence[str] = (),
               now: datetime | None = None) -> list[tuple]:
    """Rows of ``audit.check_results`` from the audit's outcomes (each with ``partitions``)
    and the office's refused reference rows (``problems``, bcd35.home_reference)."""
    at = (now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    out = []
    for c in checks:
        severity = "blocking" if c.blocking else "warning"
        title = f"{c.title_vi} / {c.title_en}".strip(" /")
        if c.success or not c.partitions:
            out.append((build_id, c.suite, c.check, None, None, severity, bool(c.success), 0,
                        title, at))
            continue
        for p in c.partitions:
            message = f"{title}: {p['example']}" if p.get("example") else title
            out.append((build_id, c.suite, c.check, p["committee_code"], p["year"], severity,
                        False, int(p["failed_rows"]), message, at))
    problems = list(problems)
    for p in problems:
        where = f"{p['file']}" + (f", dòng/line {p['line']}" if p.get("line") else "")
        if p.get("column"):
            where += f", cột/column '{p['column']}' = '{p['value']}'"
        out.append((build_id, HOME_REFERENCE_SUITE, HOME_REFERENCE_CHECK, None, None,
                    "warning", False, 1, f"{where}: {p['reason_vi']} / {p['reason_en']}", at))
    if reference_files and not problems:
        out.append((build_id, HOME_REFERENCE_SUITE, HOME_REFERENCE_CHECK, None, None,
                    "warning", True, 0, "Dữ liệu tham chiếu của văn phòng hợp lệ / the office's "
                    f"reference data is valid: {', '.join(reference_files)}", at))
    return out


def file_status(f) -> str:
    """The registry's status of a file, with a quarantined file replaced at its path by a
    newer one shown as superseded (other states pass through as the registry names them)."""
    if getattr(f, "retracted", None):  # a loaded file superseded or withdrawn by a night
        return f.retracted
    if f.status == "quarantined" and getattr(f, "superseded_by", None):
        return "superseded"
    return f.status


def file_rows(build_id: str, files: Iterable, in_build: Mapping[str, int]) -> list[tuple]:
    """Rows of ``audit.source_files``: every registered file; ``in_build``: sha256 → rows of
    the file in this build's staging tables."""
    return [
        (build_id, f.sha256, f.original_path, f.original_name, ",".join(f.kinds) or None,
         file_status(f), int(f.rows), int(in_build.get(f.sha256, 0)),
         int(getattr(f, "rejected_rows", 0) or 0), f.reason,
         getattr(f, "superseded_by", None), int(f.ingest_seq), f.first_seen, f.last_seen)
        for f in sorted(files, key=lambda f: f.ingest_seq)
    ]


def _create(schema: str, table: str, columns: Sequence[tuple[str, str]]) -> str:
    listed = ", ".join(f'"{name}" {kind}' for name, kind in columns)
    return f'create table {schema}."{table}" ({listed})'


def _arrow(columns: Sequence[tuple[str, str]], rows: list[tuple]):
    """``rows`` as an Arrow table of ``columns`` (timestamps as given: a datetime or ISO text,
    which the insert casts)."""
    import pyarrow as pa

    types = {"text": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}
    return pa.Table.from_arrays(
        [pa.array([row[i] for row in rows], type=types.get(kind))
         for i, (_, kind) in enumerate(columns)],
        names=[name for name, _ in columns])


def write_duckdb(candidate: str, checks: list[tuple], files: list[tuple]) -> None:
    """Both tables into the candidate file (replacing any earlier version), checkpointed."""
    import duckdb

    with duckdb.connect(candidate) as con:
        con.execute("create schema if not exists audit")
        for table, columns, rows in (("check_results", CHECK_COLUMNS, checks),
                                     ("source_files", FILE_COLUMNS, files)):
            con.execute(f'drop table if exists audit."{table}"')
            con.execute(_create("audit", table, columns))
            if rows:  # as one Arrow table: executemany costs ~1 ms a row (9 s for 9 000 files)
                con.register("audit_rows", _arrow(columns, rows))
                con.execute(f'insert into audit."{table}" select * from audit_rows')
                con.unregister("audit_rows")
            con.execute(f"comment on table audit.\"{table}\" is '{COMMENTS[table]}'")
        con.execute("checkpoint")


def write_postgres(cur, schema: str, checks: list[tuple], files: list[tuple]) -> None:
    """Both tables into the candidate's audit schema (the caller commits)."""
    from psycopg2.extras import execute_values

    quoted = '"' + schema.replace('"', '""') + '"'
    cur.execute(f"create schema if not exists {quoted}")
    for table, columns, rows in (("check_results", CHECK_COLUMNS, checks),
                                 ("source_files", FILE_COLUMNS, files)):
        cur.execute(f'drop table if exists {quoted}."{table}"')
        cur.execute(_create(quoted, table, columns))
        if rows:
            execute_values(cur, f'insert into {quoted}."{table}" values %s', rows)
        cur.execute(f"comment on table {quoted}.\"{table}\" is %s", [COMMENTS[table]])
