"""Run the nightly DAG once through Airflow's own DAG test runner (``dag.test()``).

The embedded default: SQLite metadata under ``HOME/airflow``, no scheduler, no servers
(``bcd35.airflow_env``'s ``Embedded`` shape). Airflow reads its configuration from the
environment when it is first imported, so that environment is applied before any ``airflow``
import.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from bcd35 import alerts, parse_ahead, preload
from bcd35.airflow_env import Embedded, airflow_env
from bcd35.config import DAGS_DIR, Home
from bcd35.constants import NIGHTLY_DAG_ID, WAREHOUSE_POOL

log = logging.getLogger(__name__)

DAG_ID = NIGHTLY_DAG_ID
POOL = WAREHOUSE_POOL
POOL_DESCRIPTION = "bcd35: one writer of the warehouse"

#: warnings of Airflow's libraries that ask the operator of ``bcd35 run`` for something they
#: cannot and need not do: importing the in-process Execution API imports ``svcs.fastapi``,
#: which imports Starlette's test client, which asks for ``httpx2`` (nothing here uses it)
LIBRARY_WARNINGS = ("Using `httpx` with `starlette.testclient` is deprecated",)


def quiet_library_warnings() -> None:
    """Keep :data:`LIBRARY_WARNINGS` out of this process's output (each by its text)."""
    for text in LIBRARY_WARNINGS:
        warnings.filterwarnings("ignore", message=re.escape(text), category=UserWarning)


def _airflow(home: Home, *args: str) -> None:
    env = {**os.environ, **airflow_env(Embedded(home))}
    airflow = Path(sys.executable).with_name("airflow")
    proc = subprocess.run([str(airflow), *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"airflow {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def prepare(home: Home) -> None:
    """Create or upgrade the metadata DB and the one-slot warehouse pool (idempotent).

    Through the ``airflow`` command (its own processes), so any process may call it, whatever
    Airflow it has imported; ``bcd35 run`` does the same in its own process
    (:func:`_prepare_here`)."""
    home.ensure()
    marker = home.airflow / ".migrated"
    version = _airflow_version()
    if not marker.exists() or marker.read_text() != version:
        _airflow(home, "db", "migrate")
        _airflow(home, "pools", "set", POOL, "1", POOL_DESCRIPTION)
        marker.write_text(version)


def _prepare_here(home: Home) -> None:
    """:func:`prepare` in this process, which is about to import Airflow for this home anyway:
    what ``airflow db migrate`` and ``airflow pools set`` run, without starting two more
    Pythons that each import Airflow (5 s each on a fresh home;
    docs/performance.md#fixed-cost-of-a-small-night). If this process imported Airflow for
    another metadata database, the commands do it."""
    env = airflow_env(Embedded(home))
    if "airflow" in sys.modules:
        from airflow import settings as airflow_settings

        if airflow_settings.SQL_ALCHEMY_CONN != env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]:
            prepare(home)
            return
    home.ensure()
    marker = home.airflow / ".migrated"
    version = _airflow_version()
    if marker.exists() and marker.read_text() == version:
        return
    os.environ.update(env)  # before the first airflow import: it reads its configuration then
    from airflow.models.pool import Pool
    from airflow.utils import db

    db.upgradedb()  # what `airflow db migrate` runs; a new database is created from the ORM
    Pool.create_or_update_pool(POOL, 1, POOL_DESCRIPTION, include_deferred=False)
    marker.write_text(version)


def _airflow_version() -> str:

    return version("apache-airflow")


def run_nightly(home: Home, ahead: Callable[[], None] | None = None) -> tuple[str, str]:
    """Run the nightly DAG once in this process; returns (run_id, final state).

    ``ahead``: what may start before the tasks, in their environment (``bcd35 run``: dbt
    parses the project for the build, :mod:`bcd35.parse_ahead`); stopped at the end if the
    night did not use it."""
    os.environ.update(airflow_env(Embedded(home)))  # what every task's environment has
    if ahead is not None:
        try:
            ahead()
        except Exception:  # noqa: BLE001 - only a head start: the build meets it and says why
            log.warning("nothing started ahead of the night's tasks", exc_info=True)
            parse_ahead.stop()
    try:
        return _run_nightly(home)
    finally:
        parse_ahead.stop()  # not taken: the night failed before its build, or needed none


def _run_nightly(home: Home) -> tuple[str, str]:
    quiet_library_warnings()
    _prepare_here(home)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR / f"{DAG_ID}.py"))
    if bag.import_errors:
        raise RuntimeError(f"the DAG does not import: {bag.import_errors}")
    dag = bag.dags[DAG_ID]
    preload.enable()  # every task runs in this process: the audit's imports while dbt builds
    dag_run = dag.test()
    if str(dag_run.state) == "failed":  # sent once: the DAG's failure callback may have sent it

        alerts.send_night_failed(home, dag_run.run_id)
    return dag_run.run_id, str(dag_run.state)
