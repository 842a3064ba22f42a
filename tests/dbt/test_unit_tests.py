"""The dbt unit tests of the project, on both engines.

A night's build runs none (``bcd35.warehouse.dbt.NIGHTLY_EXCLUDES``: their inputs are fixed
rows, so they test the code, which is the same every night; dbt Labs advise running them in
development and CI only). They run here, as ``dbt test --select test_type:unit`` on the
published demo build (DuckDB), and in ``test_postgres`` on its PostgreSQL night: every unit
test the project declares must run and pass, and a model with a planted fault must fail its
unit test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bcd35.config import DBT_PROJECT_DIR, committee_code, resolve_home
from bcd35.warehouse.dbt import dbt_command, target_dir
from bcd35.warehouse.duckdb import DuckDBWarehouse

#: the planted fault: posts de-duplicated keeping the export of the earliest period
POSTS_MODEL = "models/intermediate/meta/int_posts_deduplicated.sql"
LATEST_FIRST = "'export_period_end desc nulls last'"
POSTS_UNIT_TEST = "posts_in_two_exports_keep_latest_period"


def run_unit_tests(home, env: dict[str, str], target: str, project: Path = DBT_PROJECT_DIR,
                   extra: tuple[str, ...] = ()) -> tuple[int, dict[str, str], set[str], str]:
    """``dbt test --select test_type:unit`` (and ``extra``) with ``project``; dbt's exit code,
    each unit test's status, the unit tests the project declares, and dbt's output."""
    command = dbt_command(home, "test", "--select", "test_type:unit", *extra, target=target)
    for flag in ("--project-dir", "--profiles-dir"):
        command[command.index(flag) + 1] = str(project)
    out = target_dir(home, target)
    (out / "run_results.json").unlink(missing_ok=True)
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    results = json.loads((out / "run_results.json").read_text())["results"]
    declared = set(json.loads((out / "manifest.json").read_text())["unit_tests"])
    statuses = {r["unique_id"]: r["status"] for r in results
                if r["unique_id"].startswith("unit_test.")}  # not the on-run-start hook
    return proc.returncode, statuses, declared, proc.stdout[-4000:]


def planted_project(tmp_path: Path) -> Path:
    """A copy of the dbt project (its seeds beside it, as in the repository) whose posts
    model keeps the earliest export instead of the latest."""
    root = tmp_path / "planted"
    project = root / DBT_PROJECT_DIR.name
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    (root / "seeds").symlink_to(DBT_PROJECT_DIR.parent / "seeds")
    model = project / POSTS_MODEL
    sql = model.read_text(encoding="utf-8")
    assert LATEST_FIRST in sql, "the plant's anchor is in the model"
    model.write_text(sql.replace(LATEST_FIRST, "'export_period_end asc nulls last'"),
                     encoding="utf-8")
    return project


def assert_all_pass_and_the_plant_fails(run, tmp_path: Path) -> None:
    code, statuses, declared, output = run()
    assert code == 0, output
    assert declared and set(statuses) == declared, "every declared unit test ran"
    assert set(statuses.values()) == {"pass"}, statuses

    code, statuses, _, output = run(planted_project(tmp_path))
    assert code != 0
    failed = {uid for uid, status in statuses.items() if status == "fail"}
    model = "unit_test.bcd35.int_posts_deduplicated."
    assert f"{model}{POSTS_UNIT_TEST}" in failed, output
    assert all(uid.startswith(model) for uid in failed), failed


def test_unit_tests_on_duckdb(published_home: Path, tmp_path: Path) -> None:
    home_dir = tmp_path / "home"
    shutil.copytree(published_home, home_dir, symlinks=True)
    home = resolve_home(home_dir)
    build = tmp_path / "unit_tests.duckdb"  # the unit tests read the upstream tables' types
    shutil.copyfile(home.published.resolve(), build)
    env = DuckDBWarehouse().dbt_env(home, build, committee_code())

    def run(project: Path = DBT_PROJECT_DIR):
        return run_unit_tests(home, env, "duckdb", project)

    assert_all_pass_and_the_plant_fails(run, tmp_path)

