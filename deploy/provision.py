"""Create the databases and roles of a deployment on a fresh PostgreSQL server; idempotent.

    python -m deploy.provision

Run once by the ``bcd35-init`` service of ``docker-compose.yml`` (and by the process-level
cluster of ``make test-distributed``), as the PostgreSQL superuser:

- role ``airflow`` and database ``airflow``: the Airflow metadata and the Celery results;
- role ``bcd35_builder`` and database ``bcd35``: the warehouse, written by the nightly run;
- role ``bcd35_analyst``: reads the published schemas of ``bcd35`` only
  (``bcd35.warehouse.postgres.provision_warehouse``).

Settings, from the environment: ``POSTGRES_HOST`` (postgres), ``POSTGRES_PORT`` (5432),
``POSTGRES_USER`` (postgres), ``POSTGRES_PASSWORD``, ``AIRFLOW_DB_PASSWORD``,
``BCD35_WAREHOUSE_PASSWORD``, ``BCD35_ANALYST_PASSWORD`` — all passwords required. When
``AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE`` is set, the Airflow users' passwords
(``AIRFLOW_PASSWORD_<USER>``) are written to that file too.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from bcd35.constants import AIRFLOW_DATABASE, AIRFLOW_ROLE
from bcd35.warehouse.postgres import provision_warehouse
from deploy.secrets import passwords_from_env


def provision_airflow(connect_admin: Callable, password: str) -> None:
    with contextlib.closing(connect_admin("postgres")) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_roles where rolname = %s", [AIRFLOW_ROLE])
        verb = "alter" if cur.fetchone() else "create"
        cur.execute(f"{verb} role {AIRFLOW_ROLE} login password %s "
                    "nosuperuser nocreaterole nocreatedb", [password])
        cur.execute("select 1 from pg_database where datname = %s", [AIRFLOW_DATABASE])
        if not cur.fetchone():
            cur.execute(f"create database {AIRFLOW_DATABASE} owner {AIRFLOW_ROLE}")
        cur.execute(f"revoke all on database {AIRFLOW_DATABASE} from public")


def provision(connect_admin: Callable, airflow_password: str, builder_password: str,
              analyst_password: str) -> None:
    provision_airflow(connect_admin, airflow_password)
    provision_warehouse(connect_admin, builder_password, analyst_password)


def _required(name: str) -> str:
    """A password the provisioning needs: bcd35's through its settings, the servers' own
    (``POSTGRES_PASSWORD``, ``AIRFLOW_DB_PASSWORD``) from the environment."""
    from bcd35.settings import PREFIX, settings

    if name.startswith(PREFIX):
        value = settings().secret(name.removeprefix(PREFIX).lower()) or ""
    else:
        value = os.environ.get(name, "")
    if not value:
        raise SystemExit(f"{name} is not set (see .env.example)")
    return value


def main() -> int:
    import psycopg2

    def connect_admin(database: str):
        conn = psycopg2.connect(host=os.environ.get("POSTGRES_HOST", "postgres"),
                                port=int(os.environ.get("POSTGRES_PORT", "5432")),
                                user=os.environ.get("POSTGRES_USER", "postgres"),
                                password=_required("POSTGRES_PASSWORD"), dbname=database)
        conn.autocommit = True
        return conn

    provision(connect_admin, _required("AIRFLOW_DB_PASSWORD"),
              _required("BCD35_WAREHOUSE_PASSWORD"), _required("BCD35_ANALYST_PASSWORD"))
    print("provisioned: databases airflow and bcd35, roles airflow, bcd35_builder, "
          "bcd35_analyst", file=sys.stderr)
    passwords_file = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    if passwords_file:
        write_passwords(Path(passwords_file), passwords_from_env())
        print(f"wrote {passwords_file} (mode 0600)", file=sys.stderr)
    return 0


def write_passwords(path: Path, passwords: dict[str, str]) -> Path:
    """The simple auth manager's passwords file (JSON ``{user: password}``, mode 0600)."""
    from deploy.secrets import _write_private

    return _write_private(path, json.dumps(passwords) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
