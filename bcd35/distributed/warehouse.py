"""Write-audit-publish on PostgreSQL: the nightly build, audit and publish stages when
``BCD35_WAREHOUSE=postgres`` (same shape as ``bcd35.nightly.build/audit/publish``).

- **write**: the raw Parquet layer is loaded into ``raw`` (``bcd35.warehouse_pg.load_raw``),
  then ``dbt build`` writes every layer into *candidate* schemas ``c_<build>_<layer>``
  (dbt var ``schema_prefix``, honoured by the project's ``generate_schema_name``). Analysts'
  schemas are never written by a build.
- **audit**: the committed Great Expectations suites run on the candidate schemas through GX's
  native PostgreSQL data source (``bcd35.audit.postgres``): the expectations are SQL queries
  pushed down to the server, no table is copied into pandas.
- **publish**: one transaction with ``SET LOCAL lock_timeout``: lock the published tables
  (``ACCESS EXCLUSIVE``, which waits for analysts' running statements and transactions on
  them to finish), rename each published schema to ``p_<old build>_<layer>``, each candidate
  schema to its published name, move the analysts' ``USAGE`` along, record the switch. When the
  lock is not granted within the timeout (an analyst query is running), the transaction rolls
  back and is retried with backoff: a running analyst query is never broken and never sees a
  mix of two builds, and new queries never queue for long behind the switch. The last
  ``KEEP_PUBLISHED`` retired builds stay (``rollback``), older ones are dropped, again with a
  short lock timeout (skipped and retried next night when a reader still holds them).

Roles (``provision_warehouse``): ``bcd35_builder`` owns the database and runs dbt;
``bcd35_analyst`` may connect and read the published ``marts``, ``reference`` and ``audit``
schemas, nothing else (no ``TEMP``, no ``CREATE``, read-only transactions by default).

Bookkeeping lives in the warehouse itself, schema ``bcd35_ops``: ``builds`` (one row per build:
run, fingerprint, status, audit manifest), ``published`` (the current build), ``writer_log``
(who held the writer lock when — ``make test-distributed`` checks it never overlaps).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bcd35 import runs
from bcd35.config import DBT_PROJECT_DIR, REPO_ROOT, Home, code_version, committee_code
from bcd35.constants import ANALYST_ROLE, BUILDER_ROLE, WAREHOUSE_DATABASE
from bcd35.fingerprint import build_fingerprint
from bcd35.settings import settings

log = logging.getLogger(__name__)

OPS_SCHEMA = "bcd35_ops"
# dbt's schemas (dbt_project.yml: seeds → reference, then the model folders)
LAYERS = ("reference", "staging", "intermediate", "marts", "audit")
ANALYST_SCHEMAS = ("marts", "reference", "audit")
KEEP_PUBLISHED = 2          # retired builds kept for rollback
KEEP_FAILED = 3             # failed candidates kept for inspection

WRITER_LOCK_KEY = 35_0001   # pg_advisory_lock key of the warehouse writer
SCHEMA_PREFIX_VAR = "schema_prefix"
UNCHANGED = "unchanged"


class PublishRefused(RuntimeError):
    pass


class SwapTimedOut(RuntimeError):
    pass


# --- connections and names ------------------------------------------------------------------

def target():
    from bcd35.warehouse_pg import PgTarget

    return PgTarget.from_env()


@contextlib.contextmanager
def connect(autocommit: bool = False) -> Iterator:
    conn = target().connect(application_name="bcd35-writer")
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


def _ident(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"unexpected identifier {name!r}")
    return f'"{name}"'


# --- roles and the ops schema ---------------------------------------------------------------

def provision_warehouse(connect_admin: Callable, builder_password: str,
                        analyst_password: str) -> None:
    """Create (or update) the warehouse database and its roles; idempotent.

    ``connect_admin(database)`` returns an autocommit superuser connection."""
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
        cur.execute("select 1 from pg_database where datname = %s", [WAREHOUSE_DATABASE])
        if not cur.fetchone():
            cur.execute(f"create database {WAREHOUSE_DATABASE} owner {BUILDER_ROLE}")
        cur.execute(f"revoke all on database {WAREHOUSE_DATABASE} from public")
        cur.execute(f"grant connect on database {WAREHOUSE_DATABASE} to {ANALYST_ROLE}")
    with contextlib.closing(connect_admin(WAREHOUSE_DATABASE)) as conn, conn.cursor() as cur:
        cur.execute("create extension if not exists pgcrypto")  # hmac() of the pseudonyms
        cur.execute("revoke all on schema public from public")
        cur.execute(f"grant usage, create on schema public to {BUILDER_ROLE}")
        # no default privileges for analysts anywhere: they get USAGE on a published schema
        # at the switch and SELECT on its tables before it (see publish)


_OPS_DDL = f"""
create schema if not exists {OPS_SCHEMA};
create table if not exists {OPS_SCHEMA}.builds (
    build_id text primary key,
    run_id text not null,
    fingerprint text not null,
    status text not null,     -- building, built, build_failed, audited, audit_failed,
                              -- published, retired, dropped, unchanged
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
        cur.execute(_OPS_DDL)
    conn.commit()


@contextlib.contextmanager
def writer(run_id: str, stage: str) -> Iterator:
    """The warehouse's writer lock (a session advisory lock), recorded in ``writer_log``.

    Airflow's one-slot pool already serialises writers; this is the database's own guard for
    anything else (a second scheduler, a manual run). It waits rather than fails."""
    import socket

    with connect(autocommit=True) as conn, conn.cursor() as cur:
        ensure_ops(conn)
        requested = datetime.now(UTC)
        cur.execute("select pg_advisory_lock(%s)", [WRITER_LOCK_KEY])
        cur.execute(f"insert into {OPS_SCHEMA}.writer_log (run_id, stage, requested_at, "
                    "acquired_at, backend_pid, hostname) values (%s, %s, %s, now(), "
                    "pg_backend_pid(), %s) returning id",
                    [run_id, stage, requested, socket.gethostname()])
        entry = cur.fetchone()[0]
        try:
            yield conn
        finally:
            cur.execute(f"update {OPS_SCHEMA}.writer_log set released_at = clock_timestamp() "
                        "where id = %s", [entry])
            cur.execute("select pg_advisory_unlock(%s)", [WRITER_LOCK_KEY])


def published_build_id(cur) -> str | None:
    cur.execute("select to_regclass(%s)", [f"{OPS_SCHEMA}.published"])
    if cur.fetchone()[0] is None:
        return None
    cur.execute(f"select build_id from {OPS_SCHEMA}.published")
    row = cur.fetchone()
    return row[0] if row else None


def build_record(cur, build_id: str) -> dict | None:
    cur.execute(f"select build_id, run_id, fingerprint, status, manifest from {OPS_SCHEMA}.builds "
                "where build_id = %s", [build_id])
    row = cur.fetchone()
    if row is None:
        return None
    return {"build_id": row[0], "run_id": row[1], "fingerprint": row[2], "status": row[3],
            "manifest": row[4]}


def _set_status(cur, build_id: str, status: str, manifest: dict | None = None) -> None:
    if manifest is None:
        cur.execute(f"update {OPS_SCHEMA}.builds set status = %s where build_id = %s",
                    [status, build_id])
    else:
        cur.execute(f"update {OPS_SCHEMA}.builds set status = %s, manifest = %s "
                    "where build_id = %s", [status, json.dumps(manifest), build_id])


# --- fingerprint: skip a build when nothing it depends on changed ---------------------------
# bcd35.fingerprint.build_fingerprint: the raw layer, the committee list, the dbt project, the
# seeds, the suites, the package's code (this module and warehouse_pg included) and the key.


def skip_unchanged() -> bool:
    return settings().pg_skip_unchanged


# --- write ----------------------------------------------------------------------------------

def _check_schema_prefix_support() -> None:
    """Refuse to build when dbt would write the published schemas directly."""
    macro = DBT_PROJECT_DIR / "macros" / "generate_schema_name.sql"
    text = macro.read_text(encoding="utf-8") if macro.exists() else ""
    if SCHEMA_PREFIX_VAR not in text:
        from bcd35.build import BuildFailed

        raise BuildFailed(Path(macro), [
            f"{macro.relative_to(REPO_ROOT)} does not honour the dbt var "
            f"'{SCHEMA_PREFIX_VAR}': a PostgreSQL build would overwrite the published "
            "schemas; not building"])


def _run_dbt(home: Home, build_id: str, committee: str):
    import subprocess

    from bcd35.build import BuildFailed
    from bcd35.warehouse_pg import dbt_command_pg, dbt_env_pg

    variables = json.dumps({SCHEMA_PREFIX_VAR: candidate_prefix(build_id)})
    proc = subprocess.run(dbt_command_pg(home, "build", "--fail-fast", "--vars", variables),
                          env=dbt_env_pg(home, target(), committee),
                          capture_output=True, text=True, check=False)
    results_path = home.dbt / "target_postgres" / "run_results.json"
    results = json.loads(results_path.read_text())["results"] if results_path.exists() else []
    failures = [f"{r['unique_id']}: {r['status']} — {(r.get('message') or '').strip()}"
                for r in results if r["status"] in ("error", "fail", "runtime error")]
    if proc.returncode != 0:
        if not failures:
            failures = [line for line in proc.stdout.splitlines()[-15:] if line.strip()]
        raise BuildFailed(Path(candidate_prefix(build_id)), failures)
    return results


def build(home: Home, run_id: str) -> str:
    """Load raw, ``dbt build`` into candidate schemas; returns the build id."""
    from bcd35.nightly import new_build_id
    from bcd35.warehouse_pg import load_raw

    committee = committee_code()
    build_id = new_build_id(run_id)
    runs.update(home, run_id, build_id=build_id)
    with runs.stage(home, run_id, "build", failed_status="build_failed"), \
            writer(run_id, "build") as conn, conn.cursor() as cur:
        fp = build_fingerprint(home, committee)
        current = published_build_id(cur)
        record = build_record(cur, current) if current else None
        if skip_unchanged() and record and record["fingerprint"] == fp:
            cur.execute(f"insert into {OPS_SCHEMA}.builds (build_id, run_id, fingerprint, "
                        "status, manifest) values (%s, %s, %s, %s, %s)",
                        [build_id, run_id, fp, UNCHANGED,
                         json.dumps({"same_as": current})])
            log.info("nothing changed since build %s: not rebuilding", current)
            return build_id
        _check_schema_prefix_support()
        cur.execute(f"insert into {OPS_SCHEMA}.builds (build_id, run_id, fingerprint, status) "
                    "values (%s, %s, %s, 'building')", [build_id, run_id, fp])
        try:
            loaded = load_raw(home, target())
            results = _run_dbt(home, build_id, committee)
            missing = [layer for layer in LAYERS
                       if not _schema_exists(cur, candidate_schema(build_id, layer))]
            if missing:
                from bcd35.build import BuildFailed

                raise BuildFailed(Path(candidate_prefix(build_id)),
                                  [f"dbt wrote no schema {candidate_schema(build_id, m)}"
                                   for m in missing])
        except Exception:
            _set_status(cur, build_id, "build_failed")
            raise
        _set_status(cur, build_id, "built", {"raw_rows": loaded, "dbt_nodes": len(results)})
    return build_id


def _schema_exists(cur, schema: str) -> bool:
    cur.execute("select 1 from pg_namespace where nspname = %s", [schema])
    return cur.fetchone() is not None


# --- audit ----------------------------------------------------------------------------------

def _file_names(home: Home) -> dict[str, str]:
    from bcd35.ingest import registry

    return {f.sha256: f.original_path for f in registry.list_files(home)}


SOURCE_TABLES = {
    "meeting_log": "stg_office__meetings",
    "commendation": "stg_office__commendations",
    "bulletin_issue": "stg_office__bulletin_issues",
    "bulletin_distribution": "stg_office__bulletin_distributions",
    "meta_posts": "stg_meta__posts",
    "collaborator_shares": "stg_office__collaborator_shares",
}


def sources_of(cur, staging_schema: str, names: dict[str, str]) -> list[dict]:
    union = " union all ".join(
        f"select '{kind}' as kind, source_file_sha256, count(*) as n "
        f"from {_ident(staging_schema)}.{_ident(table)} group by 1, 2"
        for kind, table in SOURCE_TABLES.items())
    cur.execute(f"{union} order by 2, 1")
    return [{"sha256": sha, "file": names.get(sha, ""), "kind": kind, "rows": int(n)}
            for kind, sha, n in cur.fetchall()]


def _home_reference(home: Home) -> dict:
    """What the last raw load read of the office's reference data (bcd35.warehouse_pg)."""
    path = home.dbt / "home_reference.json"
    if not path.exists():
        return {"files": [], "n_targets": 0, "n_pages": 0, "problems": []}
    return json.loads(path.read_text(encoding="utf-8"))


def manifest_dir(home: Home) -> Path:
    return home.warehouse / "postgres"


def audit(home: Home, run_id: str, build_id: str) -> dict:
    """The committed suites on the candidate schemas (GX, native PostgreSQL data source)."""
    from bcd35.audit.postgres import audit_candidate_pg
    from bcd35.audit.tables import write_postgres
    from bcd35.nightly import AuditFailed, add_reference_warning, audit_table_rows

    with runs.stage(home, run_id, "audit", failed_status="audit_failed"), \
            connect() as conn, conn.cursor() as cur:
        ensure_ops(conn)
        record = build_record(cur, build_id)
        if record is None:
            raise PublishRefused(f"unknown build {build_id}")
        if record["status"] == UNCHANGED:
            return {"success": True, "unchanged": True,
                    "same_as": record["manifest"].get("same_as")}
        schemas = {layer: candidate_schema(build_id, layer) for layer in LAYERS}
        previous = published_build_id(cur)
        docs = manifest_dir(home) / f"{build_id}.datadocs"
        names = _file_names(home)
        result = audit_candidate_pg(schemas, previous_marts="marts" if previous else None,
                                    data_docs=docs, file_names=names)
        sources = sources_of(cur, schemas["staging"], names)
        reference = _home_reference(home)
        add_reference_warning(result, reference)
        write_postgres(cur, schemas["audit"],
                       *audit_table_rows(home, build_id, result, sources, reference))
        manifest = {
            "build_id": build_id,
            "run_id": run_id,
            "warehouse": "postgres",
            "schemas": schemas,
            "committee_code": committee_code(),
            "built_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
            "code_version": code_version(),
            "validation": result.to_dict(),
            "data_docs": str(docs / "index.html"),
            "sources": sources,
            "home_reference": reference,
        }
        manifest_dir(home).mkdir(parents=True, exist_ok=True)
        (manifest_dir(home) / f"{build_id}.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8")
        _set_status(cur, build_id, "audited" if result.success else "audit_failed", manifest)
        conn.commit()
        if not result.success:
            raise AuditFailed(result.summary(), result.failed_checks)
    return {"success": True, "n_expectations": result.n_expectations,
            "warnings": [w.render() for w in result.warnings]}


# --- publish --------------------------------------------------------------------------------

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


def _swap_once(conn, build_id: str, previous: str | None) -> None:
    retired_token = previous or f"unknown{int(time.time())}"
    with conn.cursor() as cur:
        cur.execute("set local lock_timeout = %s", [settings().pg_lock_timeout])
        # the switch row first: two switches never interleave
        cur.execute(f"select build_id from {OPS_SCHEMA}.published for update")
        published = [layer for layer in LAYERS if _schema_exists(cur, layer)]
        tables = _tables_of(cur, tuple(published))
        if tables:  # waits for analysts' statements/transactions on them (lock_timeout)
            cur.execute(f"lock table {', '.join(tables)} in access exclusive mode")
        for layer in LAYERS:
            if layer in published:
                old = retired_schema(retired_token, layer)
                cur.execute(f"alter schema {_ident(layer)} rename to {_ident(old)}")
                cur.execute(f"revoke all on schema {_ident(old)} from {ANALYST_ROLE}")
            cur.execute(f"alter schema {_ident(candidate_schema(build_id, layer))} "
                        f"rename to {_ident(layer)}")
            if layer in ANALYST_SCHEMAS:
                cur.execute(f"grant usage on schema {_ident(layer)} to {ANALYST_ROLE}")
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


def grant_read(cur, build_id: str) -> None:
    """SELECT on the candidate's analyst-facing tables, before the switch (USAGE on the
    schema comes with the switch, so nobody reads a candidate)."""
    for layer in ANALYST_SCHEMAS:
        cur.execute(f"grant select on all tables in schema "
                    f"{_ident(candidate_schema(build_id, layer))} to {ANALYST_ROLE}")


def publish(home: Home, run_id: str, build_id: str) -> str:
    """Switch analysts to the audited candidate; returns the published build id."""
    with runs.stage(home, run_id, "publish"), writer(run_id, "publish") as wconn:
        with wconn.cursor() as cur:
            record = build_record(cur, build_id)
            if record is None:
                raise PublishRefused(f"unknown build {build_id}")
            if record["status"] == UNCHANGED:
                current = published_build_id(cur)
                runs.update(home, run_id, status="published", stage="done")
                return current or build_id
            manifest = record["manifest"] or {}
            if record["status"] != "audited" or not manifest.get("validation", {}).get(
                    "success"):
                raise PublishRefused(f"{build_id} did not pass validation "
                                     f"(status {record['status']}); not publishing")
        with connect() as conn:
            with conn.cursor() as cur:
                grant_read(cur, build_id)
            conn.commit()
            result = swap(conn, build_id)
            log.info("published %s after %d attempt(s), %.2f s", build_id, result.attempts,
                     result.seconds)
            prune(conn)
    runs.update(home, run_id, status="published", stage="done")
    return build_id


def rollback() -> str:
    """Analysts back to the build published before the current one (kept retired)."""
    with connect() as conn:
        with conn.cursor() as cur:
            current = published_build_id(cur)
            cur.execute(f"select build_id from {OPS_SCHEMA}.builds where status = 'retired' "
                        "order by published_at desc limit 1")
            row = cur.fetchone()
        if current is None or row is None:
            raise PublishRefused("no earlier published build to roll back to")
        previous = row[0]
        conn.commit()
        with conn.cursor() as cur:  # the retired build becomes the candidate of a swap
            for layer in LAYERS:
                cur.execute(f"alter schema {_ident(retired_schema(previous, layer))} "
                            f"rename to {_ident(candidate_schema(previous, layer))}")
            grant_read(cur, previous)
        conn.commit()
        swap(conn, previous)
        with conn.cursor() as cur:
            _set_status(cur, current, "rolled_back")
        conn.commit()
    return previous


def prune(conn, keep: int = KEEP_PUBLISHED, keep_failed: int = KEEP_FAILED) -> list[str]:
    """Drop retired builds beyond ``keep`` and failed candidates beyond ``keep_failed``;
    a schema still read by an analyst (lock timeout) is left for the next night."""
    from psycopg2 import errors

    with conn.cursor() as cur:
        cur.execute(f"select build_id, status from {OPS_SCHEMA}.builds "
                    "where status in ('retired', 'rolled_back') order by published_at desc")
        found = cur.fetchall()
        retired = ([b for b, status in found if status == "retired"][keep:]
                   + [b for b, status in found if status == "rolled_back"])
        cur.execute(f"select build_id from {OPS_SCHEMA}.builds where status in "
                    "('build_failed', 'audit_failed', 'building', 'built', 'audited') "
                    "order by created_at desc")
        failed = [r[0] for r in cur.fetchall()][keep_failed:]
    conn.commit()
    dropped = []
    for build_id, schema_of in ([(b, retired_schema) for b in retired]
                                + [(b, candidate_schema) for b in failed]):
        try:
            with conn.cursor() as cur:
                cur.execute("set local lock_timeout = %s", [settings().pg_lock_timeout])
                for layer in LAYERS:
                    cur.execute(f"drop schema if exists {_ident(schema_of(build_id, layer))} "
                                "cascade")
                _set_status(cur, build_id, "dropped")
            conn.commit()
            dropped.append(build_id)
        except errors.LockNotAvailable:
            conn.rollback()
            log.info("build %s still in use: dropped next time", build_id)
    return dropped


def status() -> dict:
    """The published build and the last builds, from ``bcd35_ops``."""
    with connect() as conn, conn.cursor() as cur:
        ensure_ops(conn)
        cur.execute(f"select build_id, run_id, status, created_at, published_at "
                    f"from {OPS_SCHEMA}.builds order by created_at desc limit 10")
        builds = [{"build_id": r[0], "run_id": r[1], "status": r[2],
                   "created_at": r[3].isoformat(),
                   "published_at": r[4].isoformat() if r[4] else None}
                  for r in cur.fetchall()]
        return {"published": published_build_id(cur), "builds": builds}


def main(argv: list[str] | None = None) -> int:
    """``python -m bcd35.distributed.warehouse status|rollback`` (settings: ``BCD35_PG_*``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bcd35.distributed.warehouse",
                                     description="The PostgreSQL warehouse's builds.")
    parser.add_argument("command", choices=["status", "rollback"])
    args = parser.parse_args(argv)
    if args.command == "rollback":
        print(f"published again: {rollback()}")
    else:
        print(json.dumps(status(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
