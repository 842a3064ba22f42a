"""Shared test set-up: Airflow's configuration must be in the environment before any import."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="bcd35-test-airflow-"))
os.environ.setdefault("AIRFLOW_HOME", str(_AIRFLOW_HOME))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
                      f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL server binaries (initdb)")


def pytest_unconfigure(config):
    """Each pytest process (each xdist worker too) made its own Airflow home: remove it."""
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path:
    """One night over the demo inbox, run once per session with the real CLI; tests that
    change things work on a copy of it (a home is a plain directory, symlinks relative)."""
    from tests.support import bcd35

    home = tmp_path_factory.mktemp("demo") / "home"
    assert bcd35(home, "demo").returncode == 0
    run = bcd35(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    # a fresh home's night: no library's warning reaches the operator (Airflow's logging
    # prints Python's warnings as `[py.warnings]`; tests/unit/test_library_warnings.py)
    assert "[py.warnings]" not in run.stdout + run.stderr, run.stdout + run.stderr
    report = bcd35(home, "report", "--year", "2024")
    assert report.returncode == 0, report.stdout + report.stderr
    return home


@pytest.fixture
def home_copy(demo_home, tmp_path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(demo_home, target, symlinks=True)
    return target


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server provisioned as production is; a database per home
    (``pg_server.database(name)``). No server binaries: the tests fail (never skip)."""
    from tests.harness.warehouse_pg import PgServer

    # outside pytest's base temp: another pytest session on the machine prunes old base temps,
    # and a server whose data directory is deleted under it stops answering
    root = Path(tempfile.mkdtemp(prefix="bcd35-pg-"))
    try:
        server = PgServer.start(root / "server")
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
