"""``bcd35 run`` prepares Airflow's metadata database in its own process, and that database
is the one ``airflow db migrate`` + ``airflow pools set`` make
(docs/performance.md#fixed-cost-of-a-small-night).

Airflow reads its configuration when first imported, so each case runs in a fresh Python
(as ``bcd35 run`` is): the first home is prepared in-process; a second home in the same
process, whose Airflow is now set for the first one, goes through the ``airflow`` command.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from bcd35.constants import WAREHOUSE_POOL
from tests.support import clean_env

SCRIPT = """
import json, sys
from pathlib import Path
from bcd35 import orchestrate
from bcd35.config import Home

calls = []
command = orchestrate._airflow
orchestrate._airflow = lambda home, *args: (calls.append([str(home.root), *args]),
                                            command(home, *args))
for root in sys.argv[1:]:
    orchestrate._prepare_here(Home(Path(root)))
print(json.dumps(calls))
"""


def _prepare(*homes: Path) -> list[list[str]]:
    env = clean_env()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, homes)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _metadata(home: Path) -> dict:
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        return {
            "revision": con.execute("select version_num from alembic_version").fetchall(),
            "tables": sorted(r[0] for r in con.execute(
                "select name from sqlite_master where type = 'table'")),
            "pools": con.execute("select pool, slots from slot_pool order by pool").fetchall(),
        }


def test_run_prepares_in_process_what_the_airflow_command_makes(tmp_path: Path):
    here, commands = tmp_path / "here", tmp_path / "commands"
    calls = _prepare(here, commands)
    # the first home without a child process; the second through the command line
    assert [c[0] for c in calls] == [str(commands), str(commands)]
    assert [c[1:3] for c in calls] == [["db", "migrate"], ["pools", "set"]]
    made_here, made_by_commands = _metadata(here), _metadata(commands)
    assert made_here == made_by_commands
    assert (WAREHOUSE_POOL, 1) in made_here["pools"] and made_here["revision"]
    for home in (here, commands):
        assert (home / "airflow" / ".migrated").read_text() == version("apache-airflow")


def test_a_prepared_home_is_not_migrated_again(tmp_path: Path):
    home = tmp_path / "home"
    _prepare(home)
    db = home / "airflow" / "airflow.db"
    with sqlite3.connect(db) as con:
        con.execute("update slot_pool set slots = 3 where pool = ?", (WAREHOUSE_POOL,))
    assert _prepare(home) == []
    assert (WAREHOUSE_POOL, 3) in _metadata(home)["pools"]  # the marker said: nothing to do
    (home / "airflow" / ".migrated").write_text("2.0.0")  # Airflow upgraded since
    _prepare(home)
    assert (WAREHOUSE_POOL, 1) in _metadata(home)["pools"]
