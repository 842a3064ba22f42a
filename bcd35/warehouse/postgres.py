"""The production engine: PostgreSQL, candidate schemas and a schema swap
(docs/production.md#the-postgresql-warehouse).

- **write**: the raw Parquet layer and the home's own inputs (committee list, the office's
  reference data) are loaded into ``raw`` (:func:`load_raw`), then ``dbt build --target
  postgres`` writes every layer into *candidate* schemas ``c_<build>_<layer>`` (dbt var
  ``schema_prefix``, honoured by the project's ``generate_schema_name``). Analysts' schemas are
  never written by a build.
- **audit**: the committed suites on the candidate schemas through GX's native PostgreSQL data
  source (:mod:`bcd35.audit.postgres`): SQL pushed down to the server.
- **publish**: one transaction with ``SET LOCAL lock_timeout``: lock the published tables
  (``ACCESS EXCLUSIVE``, which waits for analysts' running statements and transactions on them
  to finish, holding none of the tables while it waits: :func:`_lock_published`), rename each
  published schema to ``p_<old build>_<layer>``, each candidate schema to its published name,
  move the analysts' ``USAGE`` along, record the switch. When the lock is not granted within
  the timeout the transaction rolls back and is retried with backoff: a running analyst query
  is never broken and never sees a mix of two builds.
- **readers** (report, status, releases): a local read-only DuckDB copy of the published
  analyst schemas, ``warehouse/postgres/<build>.duckdb``, made once per published build.

Roles (:func:`provision_warehouse`): ``bcd35_builder`` owns the database and runs dbt;
``bcd35_analyst`` may connect and read the published ``marts``, ``reference`` and ``audit``
schemas, nothing else. Bookkeeping lives in the warehouse, schema ``bcd35_ops``: ``builds``,
``published``, ``writer_log`` (who held the writer lock when), ``swap_log``.

The pseudonymisation key reaches PostgreSQL only as a libpq startup option (``PGOPTIONS``,
``-c bcd35.pseudonym_key=…``) of the dbt process: ``postgres__pseudonymise`` reads it with
``current_setting``; it is never part of a statement, a log or the profile.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import random
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bcd35.audit import AuditResult
from bcd35.audit.postgres import audit_candidate_pg
from bcd35.audit.scope import FULL, Reuse
from bcd35.audit.tables import write_postgres
from bcd35.config import DBT_PROJECT_DIR, REPO_ROOT, Home, pseudonym_key
from bcd35.constants import ANALYST_ROLE, BUILDER_ROLE, WAREHOUSE_DATABASE
from bcd35.ingest.kinds import KINDS, Kind
from bcd35.partitions import (
    PUBLISHED_PARTITIONS,
    PUBLISHED_PARTITIONS_DOCS,
    Partition,
    PartitionedTable,
    Withheld,
    year_column,
)
from bcd35.pg import PgTarget
from bcd35.settings import settings
from bcd35.warehouse.base import Warehouse, source_counts_sql
from bcd35.warehouse.dbt import COMMITTEES_ENV, dbt_env, home_inputs, run_build
from bcd35.warehouse.errors import BuildFailed, PublishRefused, SwapTimedOut
from bcd35.warehouse.incremental import Start

log = logging.getLogger(__name__)

OPS_SCHEMA = "bcd35_ops"
RAW_SCHEMA = "raw"
# dbt's schemas (dbt_project.yml: seeds → reference, then the model folders)
LAYERS = ("reference", "staging", "intermediate", "marts", "audit")
ANALYST_SCHEMAS = ("marts", "reference", "audit")
WRITER_LOCK_KEY = 35_0001   # pg_advisory_lock key of the warehouse writer
SCHEMA_PREFIX_VAR = "schema_prefix"
PG_TYPES = {"string": "text", "int64": "bigint", "float64": "double precision",
            "date": "date", "timestamp": "timestamp", "bool": "boolean"}
#: the home's own inputs, as text tables of ``raw`` (DuckDB reads the same CSV files in place)
HOME_TABLES = {"committees": COMMITTEES_ENV, "kpi_targets": "BCD35_KPI_TARGETS_CSV",
               "pages": "BCD35_PAGES_CSV"}


# --- connections and names ------------------------------------------------------------------

@contextlib.contextmanager
def connect(autocommit: bool = False) -> Iterator:
    conn = PgTarget.from_env().connect(application_name="bcd35-writer")
    conn.autocommit = autocommit
    try:
        yield conn
    finally:
        conn.close()


def token_of(build_id: str) -> str:
    """``20250101T013000Z_1a2b3c4d`` → ``20250101t013000z_1a2b3c4d`` (a schema-name part)."""
    token = build_id.lower()
    if not re.fullmatch(r"[0-9a-z_]{1,40}", token):
        raise ValueError(f"not a build id: {build_id!r}")
    return token


def candidate_prefix(build_id: str) -> str:
    return f"c_{token_of(build_id)}_"


def candidate_schema(build_id: str, layer: str) -> str:
    return f"{candidate_prefix(build_id)}{layer}"


def retired_schema(build_id: str, layer: str) -> str:
    return f"p_{token_of(build_id)}_{layer}"


def ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"unexpected identifier {name!r}")
    return f'"{name}"'


def _schema_exists(cur, schema: str) -> bool:
    cur.execute("select 1 from pg_namespace where nspname = %s", [schema])
    return cur.fetchone() is not None


# --- roles and the ops schema ---------------------------------------------------------------

def provision_warehouse(connect_admin: Callable, builder_password: str,
                        analyst_password: str, database: str = WAREHOUSE_DATABASE) -> None:
    """Create (or update) the warehouse database and its roles; idempotent.

    ``connect_admin(database)`` returns an autocommit superuser connection; ``database`` is
    the warehouse's name (the tests give each home one of its own)."""
    with contextlib.closing(connect_admin("postgres")) as conn, conn.cursor() as cur:
        for role, password, attrs in (
                (BUILDER_ROLE, builder_password, "nosuperuser nocreaterole nocreatedb"),
                (ANALYST_ROLE, analyst_password,
                 "nosuperuser nocreaterole nocreatedb noinherit noreplication nobypassrls "
                 "connection limit 50")):
            cur.execute("select 1 from pg_roles where rolname = %s", [role])
            verb = "alter" if cur.fetchone() else "create"
            cur.execute(f"{verb} role {role} login password %s {attrs}", [password])
        # analysts' sessions are read-only by default and cannot hold locks for ever
        for setting, value in (("default_transaction_read_only", "on"),
                               ("statement_timeout", "'15min'"),
                               ("idle_in_transaction_session_timeout", "'10min'"),
                               ("temp_file_limit", "'1GB'")):
            cur.execute(f"alter role {ANALYST_ROLE} set {setting} = {value}")
        cur.execute("select 1 from pg_database where datname = %s", [database])
        if not cur.fetchone():
            cur.execute(f"create database {ident(database)} owner {BUILDER_ROLE}")
        cur.execute(f"revoke all on database {ident(database)} from public")
        cur.execute(f"grant connect on database {ident(database)} to {ANALYST_ROLE}")
    with contextlib.closing(connect_admin(database)) as conn, conn.cursor() as cur:
        cur.execute("create extension if not exists pgcrypto")  # hmac() of the pseudonyms
        cur.execute("revoke all on schema public from public")
        cur.execute(f"grant usage, create on schema public to {BUILDER_ROLE}")
        # no default privileges for analysts anywhere: they get USAGE on a published schema
        # at the switch and SELECT on its tables before it (see switch)


_OPS_DDL = f"""
create schema if not exists {OPS_SCHEMA};
create table if not exists {OPS_SCHEMA}.builds (
    build_id text primary key,
    run_id text not null,
    fingerprint text not null,
    status text not null,     -- building, built, build_failed, audited, audit_failed,
                              -- published, retired, rolled_back, dropped, unchanged
    created_at timestamptz not null default now(),
    published_at timestamptz,
    manifest jsonb
);
create table if not exists {OPS_SCHEMA}.published (
    singleton boolean primary key default true check (singleton),
    build_id text not null,
    published_at timestamptz not null
);
create table if not exists {OPS_SCHEMA}.writer_log (
    id bigserial primary key,
    run_id text not null,
    stage text not null,
    requested_at timestamptz not null,
    acquired_at timestamptz not null,
    released_at timestamptz,
    backend_pid integer not null,
    hostname text
);
create table if not exists {OPS_SCHEMA}.swap_log (
    id bigserial primary key,
    build_id text not null,
    attempt integer not null,
    outcome text not null,    -- swapped, lock_timeout
    at timestamptz not null default now(),
    seconds double precision
);
"""


def ensure_ops(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("select to_regclass(%s)", [f"{OPS_SCHEMA}.swap_log"])
        if cur.fetchone()[0] is None:
            cur.execute(_OPS_DDL)
    conn.commit()


def published_build_id(cur) -> str | None:
    cur.execute("select to_regclass(%s)", [f"{OPS_SCHEMA}.published"])
    if cur.fetchone()[0] is None:
        return None
    cur.execute(f"select build_id from {OPS_SCHEMA}.published")
    row = cur.fetchone()
    return row[0] if row else None


def _set_status(cur, build_id: str, status: str) -> None:
    cur.execute(f"update {OPS_SCHEMA}.builds set status = %s where build_id = %s",
                [status, build_id])


# --- the raw layer --------------------------------------------------------------------------

def raw_table_sql(kind: Kind) -> str:
    columns = ",\n    ".join(f'"{name}" {PG_TYPES[type_]}' for name, type_ in kind.schema())
    return f'create table {RAW_SCHEMA}."{kind.name}" (\n    {columns}\n)'


#: rows of the raw layer sent to PostgreSQL in one ``COPY`` (about 30–60 MB of CSV)
COPY_BATCH_ROWS = 100_000


def copy_raw(cur, kind: Kind, files: Sequence[Path]) -> int:
    """Copy the rows of ``files`` (raw Parquet of ``kind``) into ``raw.<kind>`` with
    ``COPY … FROM STDIN (FORMAT csv)``, in batches of about :data:`COPY_BATCH_ROWS`; returns
    the rows copied.

    Every present value is quoted and a missing one is an unquoted empty field, which is how
    PostgreSQL's CSV format tells an empty string from NULL; a column a file lacks (an
    optional one) is NULL. Nothing of a row passes through a Python object, unlike row-wise
    ``INSERT``s (docs/production.md#the-postgresql-warehouse).
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    names = [name for name, _ in kind.schema()]
    quoted = ", ".join(f'"{name}"' for name in names)
    sql = f'copy {RAW_SCHEMA}."{kind.name}" ({quoted}) from stdin with (format csv)'
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    batch, n_batch, copied = io.BytesIO(), 0, 0

    def send() -> None:
        batch.seek(0)
        cur.copy_expert(sql, batch)
        batch.seek(0)
        batch.truncate()

    for path in files:
        read = pq.read_table(path)
        if not read.num_rows:
            continue
        present = set(read.column_names)
        columns = [read.column(name) if name in present else pa.nulls(read.num_rows)
                   for name in names]
        pa_csv.write_csv(pa.table(columns, names=names), batch, options)
        n_batch += read.num_rows
        copied += read.num_rows
        if n_batch >= COPY_BATCH_ROWS:
            send()
            n_batch = 0
    if n_batch:
        send()
    return copied


def load_raw(home: Home, target: PgTarget) -> dict[str, int]:
    """Replace the ``raw`` schema with the current raw layer (:func:`copy_raw`) and the
    home's own inputs (the committee list, the office's reference data, as text tables: the
    sources ``home.*`` DuckDB reads from CSV in place); returns rows loaded per table.

    One transaction: a reader of ``raw`` sees the old or the new layer, never half of it.
    """
    from psycopg2.extras import execute_values

    loaded: dict[str, int] = {}
    with contextlib.closing(target.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute(f"create schema if not exists {RAW_SCHEMA}")
        for kind in KINDS.values():
            files = sorted((home.raw / kind.name).glob("*.parquet"))
            cur.execute(f'drop table if exists {RAW_SCHEMA}."{kind.name}"')
            cur.execute(raw_table_sql(kind))
            loaded[kind.name] = copy_raw(cur, kind, files)
        paths = home_inputs(home)
        for table, env in HOME_TABLES.items():
            with open(paths[env], newline="", encoding="utf-8") as fh:
                header, *rows = list(csv.reader(fh))
            cur.execute(f'drop table if exists {RAW_SCHEMA}."{table}"')
            columns = ", ".join(f'"{name}" text' for name in header)
            cur.execute(f'create table {RAW_SCHEMA}."{table}" ({columns})')
            if rows:
                names = ", ".join(f'"{name}"' for name in header)
                execute_values(cur, f'insert into {RAW_SCHEMA}."{table}" ({names}) values %s',
                               rows)
            loaded[table] = len(rows)
    return loaded


def _escape_option(value: str) -> str:
    """libpq options are split on spaces; a backslash escapes one."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def pg_dbt_env(home: Home, target: PgTarget, committee: str) -> dict[str, str]:
    """Environment of a dbt process building on PostgreSQL."""
    options = os.environ.get("PGOPTIONS", "")
    key = pseudonym_key(home).decode()
    return dbt_env(home, committee, {
        **target.env(),
        # the sources' DuckDB meta still renders at parse time
        "BCD35_CANDIDATE_PATH": str(home.dbt / "unused_by_postgres.duckdb"),
        "PGOPTIONS": f"{options} -c bcd35.pseudonym_key={_escape_option(key)}".strip(),
    })


def _check_schema_prefix_support() -> None:
    """Refuse to build when dbt would write the published schemas directly."""
    macro = DBT_PROJECT_DIR / "macros" / "generate_schema_name.sql"
    text = macro.read_text(encoding="utf-8") if macro.exists() else ""
    if SCHEMA_PREFIX_VAR not in text:
        raise BuildFailed(Path(macro), [
            f"{macro.relative_to(REPO_ROOT)} does not honour the dbt var "
            f"'{SCHEMA_PREFIX_VAR}': a PostgreSQL build would overwrite the published "
            "schemas; not building"])


# --- the engine -------------------------------------------------------------------------------

class PostgresWarehouse(Warehouse):
    name = "postgres"

    def __init__(self, target: PgTarget | None = None):
        self.target = target or PgTarget.from_env()
        self._ops_ready = False  # the bookkeeping schema was checked (ensure_ops) once

    def _connect(self, autocommit: bool = False):
        conn = self.target.connect(application_name="bcd35-writer")
        conn.autocommit = autocommit
        return conn

    def artifacts(self, home: Home) -> Path:
        return home.warehouse / "postgres"

    @contextlib.contextmanager
    def stage_lock(self, run_id: str, stage: str) -> Iterator[None]:
        """The warehouse's writer lock (a session advisory lock), recorded in
        ``writer_log``: the database's own guard against a second scheduler or a manual
        run, besides Airflow's one-slot pool. It waits rather than fails."""
        with contextlib.closing(self._connect(autocommit=True)) as conn, \
                conn.cursor() as cur:
            ensure_ops(conn)
            requested = datetime.now(UTC)
            cur.execute("select pg_advisory_lock(%s)", [WRITER_LOCK_KEY])
            cur.execute(f"insert into {OPS_SCHEMA}.writer_log (run_id, stage, requested_at, "
                        "acquired_at, backend_pid, hostname) values (%s, %s, %s, now(), "
                        "pg_backend_pid(), %s) returning id",
                        [run_id, stage, requested, socket.gethostname()])
            entry = cur.fetchone()[0]
            try:
                yield
            finally:
                cur.execute(f"update {OPS_SCHEMA}.writer_log set released_at = "
                            "clock_timestamp() where id = %s", [entry])
                cur.execute("select pg_advisory_unlock(%s)", [WRITER_LOCK_KEY])

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        with contextlib.closing(self._connect()) as conn, conn, conn.cursor() as cur:
            if not self._ops_ready:  # once per instance, not a round trip per query
                ensure_ops(conn)
                self._ops_ready = True
            cur.execute(sql, list(params))
            return cur.fetchall() if cur.description else []

    # --- bookkeeping -------------------------------------------------------------------------

    def record(self, home: Home, build_id: str, run_id: str, fingerprint: str, status: str,
               manifest: dict | None = None) -> None:
        self._query(
            f"insert into {OPS_SCHEMA}.builds (build_id, run_id, fingerprint, status, manifest) "
            "values (%s, %s, %s, %s, %s) on conflict (build_id) do update set "
            "status = excluded.status, manifest = coalesce(excluded.manifest, "
            f"{OPS_SCHEMA}.builds.manifest)",
            [build_id, run_id, fingerprint, status,
             json.dumps(manifest) if manifest is not None else None])

    def manifest_extra(self, build_id: str) -> dict:
        return {"schemas": {layer: candidate_schema(build_id, layer) for layer in LAYERS}}

    def published_id(self, home: Home) -> str | None:
        with contextlib.closing(self._connect()) as conn, conn.cursor() as cur:
            return published_build_id(cur)

    def history(self, home: Home) -> list[str]:
        return [r[0] for r in self._query(
            f"select build_id from {OPS_SCHEMA}.builds where status in ('published', "
            "'retired') order by published_at")]

    def set_history(self, home: Home, build_ids: list[str]) -> None:
        self._query(f"update {OPS_SCHEMA}.builds set status = 'rolled_back' where status in "
                    "('published', 'retired') and not (build_id = any(%s))", [build_ids])

    def build_ids(self, home: Home) -> list[str]:
        return [r[0] for r in self._query(
            f"select build_id from {OPS_SCHEMA}.builds where status not in ('dropped', "
            "'unchanged') order by build_id")]

    def exists(self, home: Home, build_id: str) -> bool:
        with contextlib.closing(self._connect()) as conn, conn.cursor() as cur:
            return any(_schema_exists(cur, name(build_id, "marts"))
                       for name in (retired_schema, candidate_schema))

    # --- write and audit ---------------------------------------------------------------------

    def write_candidate(self, home: Home, build_id: str, committee: str,
                        start: Start | None = None) -> None:
        # every night loads the raw schema again and builds new schemas (start is None: the
        # engine does not build incrementally, ``incremental`` is False)
        home.ensure()
        _check_schema_prefix_support()
        load_raw(home, self.target)
        variables = json.dumps({SCHEMA_PREFIX_VAR: candidate_prefix(build_id)})
        run_build(home, candidate_prefix(build_id),
                  pg_dbt_env(home, self.target, committee), "postgres", "--vars", variables)
        with contextlib.closing(self._connect()) as conn, conn.cursor() as cur:
            missing = [layer for layer in LAYERS
                       if not _schema_exists(cur, candidate_schema(build_id, layer))]
        if missing:
            raise BuildFailed(candidate_prefix(build_id),
                              [f"dbt wrote no schema {candidate_schema(build_id, m)}"
                               for m in missing])

    def validate(self, home: Home, build_id: str, previous: str | None, data_docs: Path,
                 names: dict[str, str], reuse: Reuse = FULL) -> AuditResult:
        # every PostgreSQL build is a full one (new schemas every night): nothing to reuse
        del reuse
        schemas = {layer: candidate_schema(build_id, layer) for layer in LAYERS}
        return audit_candidate_pg(schemas, previous_marts="marts" if previous else None,
                                  data_docs=data_docs, file_names=names)

    def source_counts(self, home: Home, build_id: str) -> list[tuple[str, str, int]]:
        return [(k, s, int(n)) for k, s, n in self._query(
            source_counts_sql(ident(candidate_schema(build_id, "staging"))))]

    def write_audit_tables(self, home: Home, build_id: str, checks: list[tuple],
                           files: list[tuple]) -> None:
        with contextlib.closing(self._connect()) as conn, conn, conn.cursor() as cur:
            write_postgres(cur, candidate_schema(build_id, "audit"), checks, files)

    # --- publish -----------------------------------------------------------------------------

    def keep_withheld(self, home: Home, build_id: str, previous: str | None,
                      withheld: Sequence[Withheld]) -> None:
        """As the DuckDB engine does (:func:`bcd35.partitions.keep_withheld`), in SQL: in one
        transaction on the candidate, before the switch."""
        held = {(w.committee_code, w.year): w for w in withheld}
        target = candidate_schema(build_id, "marts")
        with contextlib.closing(self._connect()) as conn, conn, conn.cursor() as cur:
            tables = _partitioned(cur, target)
            origin: dict[Partition, str | None] = {}
            old: dict[str, PartitionedTable] = {}
            if held and previous is not None and _schema_exists(cur, "marts"):
                old = {t: how for t, how in _partitioned(cur, "marts").items() if t in tables}
                before = _origins(cur, "marts")
                present = _present(cur, "marts", old)
                for part in held:
                    if part in before:
                        origin[part] = before[part][1]
                    elif part in present:
                        origin[part] = previous
            for table, how in tables.items():
                where, params = how.where(held)
                cur.execute(f"delete from {ident(target)}.{ident(table)} where "
                            f"{where.replace('?', '%s')}", params)
                kept = [p for p in held if origin.get(p)] if how.by_committee else list(held)
                if kept and table in old:
                    where, params = old[table].where(kept)
                    columns = ", ".join(ident(c) for c in _columns(cur, target, table))
                    cur.execute(f"insert into {ident(target)}.{ident(table)} ({columns}) "
                                f"select {columns} from marts.{ident(table)} "
                                f"where {where.replace('?', '%s')}", params)
            _write_published_partitions(cur, target, tables, build_id, held, origin)

    def check_publishable(self, home: Home, build_id: str) -> None:
        with contextlib.closing(self._connect()) as conn, conn.cursor() as cur:
            for name in (candidate_schema, retired_schema):
                if _schema_exists(cur, name(build_id, "marts")):
                    cur.execute(f"select count(*) from {ident(name(build_id, 'marts'))}"
                                ".mart_kpi_annual")
                    return
        raise PublishRefused(f"the schemas of {build_id} do not exist; not publishing")

    def switch(self, home: Home, build_id: str, previous: str | None) -> None:
        with contextlib.closing(self._connect()) as conn:
            with conn.cursor() as cur:  # a retired build (rollback) becomes a candidate again
                if _schema_exists(cur, retired_schema(build_id, "marts")):
                    for layer in LAYERS:
                        cur.execute(f"alter schema {ident(retired_schema(build_id, layer))} "
                                    f"rename to {ident(candidate_schema(build_id, layer))}")
                for layer in ANALYST_SCHEMAS:  # SELECT now, USAGE with the switch
                    cur.execute(f"grant select on all tables in schema "
                                f"{ident(candidate_schema(build_id, layer))} to {ANALYST_ROLE}")
            conn.commit()
            result = swap(conn, build_id)
        log.info("published %s after %d attempt(s), %.2f s", build_id, result.attempts,
                 result.seconds)
        try:  # the readers' copy, made now rather than by the first reader
            self.published_build(home)
        except Exception:  # published all the same: the first reader makes it
            log.warning("the local copy of build %s was not made", build_id, exc_info=True)

    def drop(self, home: Home, build_id: str) -> bool:
        from psycopg2 import errors

        with contextlib.closing(self._connect()) as conn:
            try:
                with conn.cursor() as cur:
                    cur.execute("set local lock_timeout = %s", [settings().pg_lock_timeout])
                    for layer in LAYERS:
                        for name in (candidate_schema, retired_schema):
                            cur.execute(f"drop schema if exists {ident(name(build_id, layer))} "
                                        "cascade")
                    _set_status(cur, build_id, "dropped")
                conn.commit()
            except errors.LockNotAvailable:
                conn.rollback()
                log.info("build %s still in use: dropped next time", build_id)
                return False
        return True

    # --- readers -------------------------------------------------------------------------------

    def published_build(self, home: Home) -> Path | None:
        """The local DuckDB copy of the published analyst schemas (made on first use)."""
        build_id = self.published_id(home)
        if build_id is None:
            return None
        path = self.stem(home, build_id)
        if not path.exists():
            _snapshot(self.target, path)
        return path

    def status(self) -> dict:
        """The published build and the last builds, from ``bcd35_ops``."""
        rows = self._query(f"select build_id, run_id, status, created_at, published_at "
                           f"from {OPS_SCHEMA}.builds order by created_at desc limit 10")
        builds = [{"build_id": r[0], "run_id": r[1], "status": r[2],
                   "created_at": r[3].isoformat(),
                   "published_at": r[4].isoformat() if r[4] else None} for r in rows]
        published = self._query(f"select build_id from {OPS_SCHEMA}.published")
        return {"published": published[0][0] if published else None, "builds": builds}


# --- the swap -------------------------------------------------------------------------------

@dataclass
class SwapResult:
    build_id: str
    previous: str | None
    attempts: int
    seconds: float


def _tables_of(cur, schemas: tuple[str, ...]) -> list[str]:
    cur.execute("select format('%%I.%%I', schemaname, tablename) from pg_tables "
                "where schemaname = any(%s) order by 1", [list(schemas)])
    return [r[0] for r in cur.fetchall()]


def _busy_table(cur, tables: Sequence[str]) -> str | None:
    """Lock every table without waiting; the first one an analyst holds, or None when all are
    locked. After a busy table the transaction is aborted: the caller rolls back."""
    from psycopg2 import errors

    for table in tables:
        try:
            cur.execute(f"lock table {table} in access exclusive mode nowait")
        except errors.LockNotAvailable:
            return table
    return None


def _lock_published(cur, tables: Sequence[str], timeout_ms: int) -> None:
    """``ACCESS EXCLUSIVE`` on every published table, waiting only while holding none of them.

    Taking the locks in one ``LOCK TABLE`` waits for a busy table while holding the ones before
    it: an analyst whose transaction holds the busy table and then reads one of those waits for
    the switch, which waits for the analyst (a deadlock, which PostgreSQL breaks by failing one
    of them after ``deadlock_timeout``). Here every table is tried without waiting; when one is
    busy, everything is released and the switch waits for that table alone, then tries again.
    Raises ``LockNotAvailable`` when ``timeout_ms`` is spent (0: no limit, as PostgreSQL's).
    """
    from psycopg2 import errors

    deadline = time.monotonic() + timeout_ms / 1000
    cur.execute("savepoint bcd35_locks")
    while (busy := _busy_table(cur, tables)) is not None:
        cur.execute("rollback to savepoint bcd35_locks")  # releases every table it locked
        left = int((deadline - time.monotonic()) * 1000) if timeout_ms else 0
        if timeout_ms and left <= 0:
            raise errors.LockNotAvailable(f"{busy} still held after {timeout_ms} ms")
        cur.execute(f"set local lock_timeout = {left}")  # undone by the next rollback
        cur.execute(f"lock table {busy} in access exclusive mode")  # the only wait
    cur.execute("release savepoint bcd35_locks")
    cur.execute(f"set local lock_timeout = {timeout_ms}")  # the rest of the switch


def _lock_timeout_ms(cur) -> int:
    cur.execute("select setting::int from pg_settings where name = 'lock_timeout'")
    return cur.fetchone()[0]


def _swap_once(conn, build_id: str, previous: str | None) -> None:
    retired_token = previous or f"unknown{int(time.time())}"
    with conn.cursor() as cur:
        cur.execute("set local lock_timeout = %s", [settings().pg_lock_timeout])
        # the switch row first: two switches never interleave
        cur.execute(f"select build_id from {OPS_SCHEMA}.published for update")
        published = [layer for layer in LAYERS if _schema_exists(cur, layer)]
        tables = _tables_of(cur, tuple(published))
        if tables:  # waits for analysts' statements/transactions on them (lock_timeout)
            _lock_published(cur, tables, _lock_timeout_ms(cur))
        for layer in LAYERS:
            if layer in published:
                old = retired_schema(retired_token, layer)
                cur.execute(f"alter schema {ident(layer)} rename to {ident(old)}")
                cur.execute(f"revoke all on schema {ident(old)} from {ANALYST_ROLE}")
            cur.execute(f"alter schema {ident(candidate_schema(build_id, layer))} "
                        f"rename to {ident(layer)}")
            if layer in ANALYST_SCHEMAS:
                cur.execute(f"grant usage on schema {ident(layer)} to {ANALYST_ROLE}")
        cur.execute(f"insert into {OPS_SCHEMA}.published (singleton, build_id, published_at) "
                    "values (true, %s, now()) on conflict (singleton) do update "
                    "set build_id = excluded.build_id, published_at = excluded.published_at",
                    [build_id])
        cur.execute(f"update {OPS_SCHEMA}.builds set status = 'published', published_at = now() "
                    "where build_id = %s", [build_id])
        if previous:
            _set_status(cur, previous, "retired")
    conn.commit()


def swap(conn, build_id: str, attempts: int | None = None) -> SwapResult:
    """The switch, retried with backoff while analysts' queries hold the published tables."""
    from psycopg2 import errors

    attempts = attempts or settings().pg_swap_attempts
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        with conn.cursor() as cur:
            previous = published_build_id(cur)
        conn.commit()
        t0 = time.monotonic()
        try:
            _swap_once(conn, build_id, previous)
        except (errors.LockNotAvailable, errors.DeadlockDetected) as exc:
            conn.rollback()
            _log_swap(conn, build_id, attempt, "lock_timeout", time.monotonic() - t0)
            log.warning("publish %s: attempt %d: %s; retrying", build_id, attempt,
                        str(exc).strip())
            if attempt == attempts:
                raise SwapTimedOut(
                    f"could not switch to {build_id} after {attempts} attempts: analysts' "
                    "queries held the published tables; the previous build stays published"
                ) from exc
            time.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random()))
            continue
        _log_swap(conn, build_id, attempt, "swapped", time.monotonic() - t0)
        return SwapResult(build_id, previous, attempt, time.monotonic() - started)
    raise AssertionError("unreachable")


def _log_swap(conn, build_id: str, attempt: int, outcome: str, seconds: float) -> None:
    with conn.cursor() as cur:
        cur.execute(f"insert into {OPS_SCHEMA}.swap_log (build_id, attempt, outcome, seconds) "
                    "values (%s, %s, %s, %s)", [build_id, attempt, outcome, seconds])
    conn.commit()


# --- partitions in SQL ------------------------------------------------------------------------

def _columns(cur, schema: str, table: str) -> list[str]:
    cur.execute("select column_name from information_schema.columns where table_schema = %s "
                "and table_name = %s order by ordinal_position", [schema, table])
    return [r[0] for r in cur.fetchall()]


def _partitioned(cur, schema: str) -> dict[str, PartitionedTable]:
    """table → how it is partitioned, for every base table of ``schema`` with a year."""
    cur.execute("select c.table_name, array_agg(c.column_name::text order by c.ordinal_position) "
                "from information_schema.columns c join information_schema.tables t "
                "using (table_schema, table_name) where c.table_schema = %s "
                "and t.table_type = 'BASE TABLE' group by 1 order by 1", [schema])
    tables = {}
    for name, columns in cur.fetchall():
        column = year_column(columns)
        if column is not None and f"marts.{name}" != PUBLISHED_PARTITIONS:
            tables[name] = PartitionedTable(column, "committee_code" in columns)
    return tables


def _present(cur, schema: str, tables: dict[str, PartitionedTable]) -> set[Partition]:
    union = " union ".join(f"select committee_code, cast({ident(how.year_column)} as integer) "
                           f"from {ident(schema)}.{ident(table)}"
                           for table, how in tables.items() if how.by_committee)
    if not union:
        return set()
    cur.execute(union)
    return {(c, int(y)) for c, y in cur.fetchall() if y is not None}


def _origins(cur, schema: str) -> dict[Partition, tuple[str, str | None]]:
    table = PUBLISHED_PARTITIONS.split(".")[1]
    cur.execute("select to_regclass(%s)", [f"{ident(schema)}.{table}"])
    if cur.fetchone()[0] is None:
        return {}
    cur.execute(f"select committee_code, year, status, build_id from {ident(schema)}.{table}")
    return {(c, int(y)): (s, b) for c, y, s, b in cur.fetchall()}


def _write_published_partitions(cur, schema: str, tables: dict[str, PartitionedTable],
                                build_id: str, held: dict[Partition, Withheld],
                                origin: dict[Partition, str | None]) -> None:
    present = _present(cur, schema, tables)
    table = f"{ident(schema)}.{PUBLISHED_PARTITIONS.split('.')[1]}"
    cur.execute(f"drop table if exists {table}")
    cur.execute(f"create table {table} (committee_code text, year integer, status text, "
                "build_id text, failed_checks text, reason text)")
    for column, text in PUBLISHED_PARTITIONS_DOCS.items():
        target = f"column {table}.{column}" if column else f"table {table}"
        cur.execute(f"comment on {target} is %s", [text])
    for part in sorted(present | set(held)):
        w = held.get(part)
        row = ((*part, "current", build_id, None, None) if w is None else
               (*part, "withheld", origin.get(part), ", ".join(w.checks), "\n".join(w.messages)))
        cur.execute(f"insert into {table} values (%s, %s, %s, %s, %s, %s)", row)


# --- the readers' copy ------------------------------------------------------------------------

_DUCK_TYPES = {"text": "VARCHAR", "character varying": "VARCHAR", "character": "VARCHAR",
               "bigint": "BIGINT", "integer": "INTEGER", "smallint": "SMALLINT",
               "double precision": "DOUBLE", "real": "FLOAT", "boolean": "BOOLEAN",
               "date": "DATE", "timestamp without time zone": "TIMESTAMP",
               "timestamp with time zone": "TIMESTAMPTZ", "jsonb": "VARCHAR", "json": "VARCHAR"}


def _duck_type(data_type: str, precision: int | None, scale: int | None) -> str:
    if data_type == "numeric":
        return f"DECIMAL({precision}, {scale or 0})" if precision else "DOUBLE"
    return _DUCK_TYPES.get(data_type, "VARCHAR")


def _snapshot(target: PgTarget, path: Path) -> None:
    """Copy the published analyst schemas into a new DuckDB file at ``path`` (atomically)."""
    import duckdb
    import pyarrow as pa

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    with contextlib.closing(target.connect(application_name="bcd35-reader")) as conn, \
            conn.cursor() as cur, duckdb.connect(str(tmp)) as duck:
        cur.execute("select table_schema, table_name, column_name, data_type, "
                    "numeric_precision, numeric_scale from information_schema.columns "
                    "where table_schema = any(%s) order by 1, 2, ordinal_position",
                    [list(ANALYST_SCHEMAS)])
        tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for schema, table, column, data_type, precision, scale in cur.fetchall():
            tables.setdefault((schema, table), []).append(
                (column, _duck_type(data_type, precision, scale)))
        for schema in ANALYST_SCHEMAS:
            duck.execute(f'create schema if not exists "{schema}"')
        for (schema, table), columns in tables.items():
            name = f'"{schema}"."{table}"'
            duck.execute(f"create table {name} ("
                         + ", ".join(f'"{c}" {t}' for c, t in columns) + ")")
            cur.execute(f"select * from {ident(schema)}.{ident(table)}")
            while batch := cur.fetchmany(50_000):
                # column by column through Arrow; DuckDB casts each to the declared type
                chunk = pa.table({f"c{i}": pa.array([_plain(row[i]) for row in batch])
                                  for i in range(len(columns))})
                duck.register("chunk", chunk)
                duck.execute(f"insert into {name} select * from chunk")
                duck.unregister("chunk")
        duck.execute("checkpoint")
    os.replace(tmp, path)


def _plain(value):
    """A value DuckDB's parameter binding takes (JSON columns arrive as Python objects)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
