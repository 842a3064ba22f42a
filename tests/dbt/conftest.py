"""Fixtures of the dbt tests: a published demo warehouse and a throw-away PostgreSQL.

``published_home``: one real night (``bcd35 demo`` + ``bcd35 run``: Airflow, dbt, GX,
publish) over the demo inbox, once per session. Tests that change things copy it.

``postgres``: the builder role on a database of its own of the suite's PostgreSQL server
(``pg_server``, tests/conftest.py). When no server binaries are installed the PostgreSQL tests
fail: a skip would count as a pass.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bcd35.warehouse.postgres import PgTarget
from tests.support import clean_env

REPO = Path(__file__).resolve().parents[2]
BCD35 = str(Path(sys.executable).with_name("bcd35"))


def bcd35(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BCD35, *args, "--home", str(home)], env=clean_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def published_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("dbt_demo") / "home"
    assert bcd35(home, "demo").returncode == 0
    run = bcd35(home, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home


# --- PostgreSQL ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres(pg_server) -> PgTarget:
    """The builder role on a warehouse database of its own (the suite's server:
    tests/harness/warehouse_pg.py)."""
    pg_server.database("dbt_tests")
    return pg_server.target("dbt_tests")
