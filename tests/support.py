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


def clean_env() -> dict[str, str]:
    """This process's environment without its AIRFLOW_* and BCD35_* variables: what a command
    a test starts sees, so that it reads its home's settings and not the test run's."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BCD35_"))}


def bcd35(home: Path, *args: str, env: dict[str, str] | None = None,
          stdin: str | None = None) -> Done:
    """The CLI in a clean environment (no AIRFLOW_*/BCD35_* of the test process), plus
    ``env`` (an engine's settings, say)."""
    proc = subprocess.run([BCD35, *args, "--home", str(home)], env={**clean_env(), **(env or {})},
                          capture_output=True, text=True, timeout=900, input=stdin)
    return Done(proc.returncode, proc.stdout, proc.stderr)


def published_target(home: Path) -> Path:
    return (home / "warehouse" / "bcd35.duckdb").resolve()


def mart_hashes(home: Path) -> dict[str, str]:
    """:func:`table_hashes` of every mart of the home's published build, but
    ``published_partitions`` (the partitions' statuses change when a night withholds one)."""
    hashes = table_hashes(home / "warehouse" / "bcd35.duckdb")
    return {table: digest for table, digest in hashes.items() if table != "published_partitions"}


def table_hashes(build: Path, schema: str = "marts") -> dict[str, str]:
    """Every table of ``schema`` in a build file → a hash of its columns (names, types) and
    the multiset of its rows, independent of row order (each row hashed, the row hashes sorted).

    ``marts.published_partitions`` is per build by design (docs/operator.md#checks: the build
    each partition's rows come from): it is hashed without its ``build_id``, so it compares
    each partition's status (current, withheld) and why."""
    out = {}
    with duckdb.connect(str(build), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by 1", [schema]).fetchall()]
        for table in tables:
            query = f"select * from {schema}.{table}"
            if f"{schema}.{table}" == "marts.published_partitions":
                query = f"select * exclude (build_id) from {schema}.{table}"
            rel = con.sql(query)
            digest = hashlib.sha256(repr(list(zip(rel.columns, map(str, rel.types),
                                                  strict=True))).encode())
            for row in sorted(hashlib.sha256(repr(r).encode()).digest()
                              for r in rel.fetchall()):
                digest.update(row)
            out[table] = digest.hexdigest()
    return out


def mart_differences(a: Path, b: Path, schema: str = "marts") -> list[str]:
    """The tables of ``schema`` (marts) whose rows differ between two build files (or that
    only one of them has), by :func:`table_hashes`."""
    ha, hb = table_hashes(a, schema), table_hashes(b, schema)
    return sorted(t for t in ha.keys() | hb.keys() if ha.get(t) != hb.get(t))


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
    env = clean_env()
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


def audit_outcome(result) -> tuple:
    """What an audit found (an ``AuditResult``), independent of row order: success, failed
    checks, every check's result, and each failure's and warning's partitions and rows."""
    return (result.success, result.failed_checks,
            sorted((c.suite, c.check, c.success) for c in result.checks),
            sorted((f.check, sorted(map(tuple, f.partitions or [])), sorted(f.rows))
                   for f in [*result.failures, *result.warnings]))
