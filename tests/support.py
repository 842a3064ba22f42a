"""Helpers for end-to-end tests: the real CLI, the real Airflow DAG, dbt, GX and DuckDB."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "e2e"
BCD35 = str(Path(sys.executable).with_name("bcd35"))


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def bcd35(home: Path, *args: str, env: dict[str, str] | None = None,
          stdin: str | None = None) -> Done:
    """The CLI in a clean environment (no AIRFLOW_*/BCD35_* of the test process), plus
    ``env`` (an engine's settings, say)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BCD35_"))}
    proc = subprocess.run([BCD35, *args, "--home", str(home)], env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=900, input=stdin)
    return Done(proc.returncode, proc.stdout, proc.stderr)


def published_target(home: Path) -> Path:
    return (home / "warehouse" / "bcd35.duckdb").resolve()


def mart_hashes(home: Path) -> dict[str, str]:
    """sha256 of every mart's full contents, rows in a canonical order (not
    ``published_partitions``: it names the build each partition comes from)."""
    out = {}
    with duckdb.connect(str(home / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        tables = [r[0] for r in con.sql(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_name <> 'published_partitions' "
            "order by 1").fetchall()]
        for table in tables:
            rows = con.sql(f"select * from marts.{table} order by all").fetchall()
            out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def tree_digest(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def kpis(report_dir: Path, year: int) -> dict:
    doc = json.loads((report_dir / f"kpi_{year}.json").read_text(encoding="utf-8"))
    return {k["code"]: k["value"] for k in doc["kpis"]}


def run_annual_report_dag(home: Path, years: list[int], env: dict[str, str] | None = None,
                          ) -> subprocess.CompletedProcess:
    """The real annual-report DAG, once, through Airflow's DAG test runner (own process: Airflow
    reads its configuration from the environment at import)."""
    from bcd35.airflow_env import Embedded, airflow_env
    from bcd35.config import resolve_home
    from bcd35.orchestrate import prepare

    prepare(resolve_home(home))
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BCD35_"))}
    env.update(airflow_env(Embedded(resolve_home(home))))
    env.update(extra)
    script = (
        "import sys, json\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        "from bcd35.config import DAGS_DIR\n"
        "bag = DagBag(dag_folder=str(DAGS_DIR / 'bcd35_annual_report.py'))\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "run = bag.dags['bcd35_annual_report'].test(run_conf={'years': json.loads(sys.argv[1])})\n"
        "print('STATE', run.state)\n")
    return subprocess.run([sys.executable, "-c", script, json.dumps(years)], env=env,
                          capture_output=True, text=True, timeout=600)
