"""The same dbt models on PostgreSQL: load the raw Parquet layer into a ``raw`` schema, then
``dbt build --target postgres``.

DuckDB reads the raw layer in place (``read_parquet``); PostgreSQL cannot, so this module
copies every ``HOME/raw/<kind>/*.parquet`` file into ``raw.<kind>`` with the column types of
the raw contract (``bcd35.ingest.kinds``). The dbt sources declare ``schema: raw``, so the
models run unchanged.

The pseudonymisation key reaches PostgreSQL only as a libpq startup option (``PGOPTIONS``,
``-c bcd35.pseudonym_key=…``) of the dbt process: ``postgres__pseudonymise`` reads it with
``current_setting``; it is never part of a statement, a log or the profile.

Connection settings (all optional): ``BCD35_PG_HOST`` (127.0.0.1), ``BCD35_PG_PORT`` (5432),
``BCD35_PG_USER`` (postgres), ``BCD35_PG_PASSWORD``, ``BCD35_PG_DATABASE`` (bcd35).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bcd35.config import (
    DBT_PROJECT_DIR,
    PSEUDONYM_KEY_ENV,
    Home,
    committee_code,
    pseudonym_key,
    resolve_home,
)
from bcd35.ingest.kinds import KINDS, Kind

RAW_SCHEMA = "raw"
PG_TYPES = {"string": "text", "int64": "bigint", "float64": "double precision",
            "date": "date", "timestamp": "timestamp", "bool": "boolean"}


@dataclass(frozen=True)
class PgTarget:
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    database: str = "bcd35"

    @classmethod
    def from_env(cls) -> PgTarget:
        from bcd35.settings import settings

        s = settings()
        return cls(host=s.pg_host, port=s.pg_port, user=s.pg_user,
                   password=s.secret("pg_password") or "", database=s.pg_database)

    def env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads for the ``postgres`` output."""
        return {"BCD35_PG_HOST": self.host, "BCD35_PG_PORT": str(self.port),
                "BCD35_PG_USER": self.user, "BCD35_PG_PASSWORD": self.password,
                "BCD35_PG_DATABASE": self.database}

    def connect(self, **kwargs):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                password=self.password, dbname=self.database, **kwargs)


def _create_table_sql(kind: Kind) -> str:
    columns = ",\n    ".join(f'"{name}" {PG_TYPES[type_]}' for name, type_ in kind.schema())
    return f'create table {RAW_SCHEMA}."{kind.name}" (\n    {columns}\n)'


def _rows(kind: Kind, files: list[Path]) -> list[tuple]:
    import pyarrow.parquet as pq

    names = [name for name, _ in kind.schema()]
    rows: list[tuple] = []
    for path in files:
        table = pq.read_table(path)
        present = set(table.column_names)
        columns = {name: table.column(name).to_pylist() if name in present
                   else [None] * table.num_rows for name in names}
        rows.extend(zip(*(columns[name] for name in names), strict=True))
    return rows


def load_raw(home: Home, target: PgTarget) -> dict[str, int]:
    """Replace the ``raw`` schema with the current raw layer (and the office's reference data);
    returns rows loaded per kind.

    One transaction: a reader of ``raw`` sees the old or the new layer, never half of it.
    """
    from psycopg2.extras import execute_values

    loaded: dict[str, int] = {}
    with target.connect() as conn, conn.cursor() as cur:
        cur.execute(f"create schema if not exists {RAW_SCHEMA}")
        for kind in KINDS.values():
            files = sorted((home.raw / kind.name).glob("*.parquet"))
            cur.execute(f'drop table if exists {RAW_SCHEMA}."{kind.name}"')
            cur.execute(_create_table_sql(kind))
            rows = _rows(kind, files)
            if rows:
                columns = ", ".join(f'"{name}"' for name, _ in kind.schema())
                execute_values(cur, f'insert into {RAW_SCHEMA}."{kind.name}" ({columns}) '
                                    "values %s", rows, page_size=1000)
            loaded[kind.name] = len(rows)
        _load_home_reference(home, cur, execute_values)
    return loaded


def _load_home_reference(home: Home, cur, execute_values) -> dict[str, int]:
    """The office's validated reference data (targets, pages) as text tables ``raw.kpi_targets``
    and ``raw.pages``: the sources ``home.*`` DuckDB reads from CSV in place."""
    import csv

    from bcd35.home_reference import write_for_dbt

    paths, _ = write_for_dbt(home)
    loaded = {}
    for table, env in (("kpi_targets", "BCD35_KPI_TARGETS_CSV"), ("pages", "BCD35_PAGES_CSV")):
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


def dbt_env_pg(home: Home, target: PgTarget, committee: str) -> dict[str, str]:
    """Environment of a dbt process building on PostgreSQL."""
    key = pseudonym_key(home).decode()
    options = os.environ.get("PGOPTIONS", "")
    env = dict(os.environ)
    env.update(target.env())
    env.update(
        BCD35_RAW_DIR=str(home.raw),  # the sources' DuckDB meta still renders at parse time
        BCD35_CANDIDATE_PATH=str(home.dbt / "unused_by_postgres.duckdb"),
        BCD35_COMMITTEE=committee,
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
        PGOPTIONS=f"{options} -c bcd35.pseudonym_key={_escape_option(key)}".strip(),
    )
    env[PSEUDONYM_KEY_ENV] = key
    return env


def _escape_option(value: str) -> str:
    """libpq options are split on spaces; a backslash escapes one."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def dbt_command_pg(home: Home, *args: str) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt), *args, "--target", "postgres",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(home.dbt / "target_postgres"),
        "--log-path", str(home.dbt / "logs_postgres"),
    ]


def build_postgres(home: Home, target: PgTarget, committee: str | None = None,
                   ) -> subprocess.CompletedProcess[str]:
    """Load the raw layer, then ``dbt build --target postgres`` (seeds, models, all tests)."""
    home.ensure()
    load_raw(home, target)
    return subprocess.run(
        dbt_command_pg(home, "build"),
        env=dbt_env_pg(home, target, committee or committee_code()),
        capture_output=True, text=True, check=False,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bcd35.warehouse_pg",
        description="Build the warehouse on PostgreSQL (BCD35_PG_* settings) "
                    "from a home's raw layer.")
    parser.add_argument("--home", help="home directory (default: $BCD35_HOME, else ./var)")
    args = parser.parse_args(argv)
    home = resolve_home(args.home)
    proc = build_postgres(home, PgTarget.from_env())
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
