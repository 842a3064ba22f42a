"""DAG integrity: the DAG folder imports, has no cycles, is configured as house style says,
parses fast and keeps heavy imports out of module level."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from bcd35.config import DAGS_DIR

FIXTURES = Path(__file__).parents[1] / "fixtures" / "dags"
HEAVY = {"duckdb", "pandas", "great_expectations", "dbt", "openpyxl", "pyarrow", "matplotlib"}
PARSE_BUDGET_S = 2.0


def _bag(folder: Path):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(folder))


def heavy_top_level_imports(path: Path) -> list[str]:
    """Module-level imports of heavy libraries (imports inside functions are fine)."""
    found = []
    for node in ast.parse(path.read_text()).body:
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found += [n for n in names if n.split(".")[0] in HEAVY]
    return found


@pytest.fixture(scope="module")
def bag():
    return _bag(DAGS_DIR)


def test_dag_folder_imports_without_errors(bag):
    assert bag.import_errors == {}
    assert {"bcd35_nightly", "bcd35_annual_report"} <= set(bag.dag_ids)


def test_nightly_dag_follows_house_style(bag):
    dag = bag.dags["bcd35_nightly"]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert "nightly" in dag.tags
    assert dag.doc_md and "ingest" in dag.doc_md
    assert str(dag.timezone.name) == "Asia/Ho_Chi_Minh"
    for t in dag.tasks:
        assert t.retries >= 1 or t.task_id == "audit", t.task_id
    writers = {t.task_id for t in dag.tasks if t.pool == "bcd35_warehouse"}
    assert writers == {"ingest", "build", "publish"}
    order = [t.task_id for t in dag.topological_sort()]
    assert order == ["ingest", "build", "audit", "publish"]


def test_annual_report_dag_follows_house_style(bag):
    dag = bag.dags["bcd35_annual_report"]
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert {"bcd35", "report"} <= set(dag.tags)
    assert dag.doc_md and "PUBLISHED_WAREHOUSE_URI" in dag.doc_md
    assert str(dag.timezone.name) == "Asia/Ho_Chi_Minh"
    assert all(t.retries >= 1 for t in dag.tasks)
    assert all(t.pool != "bcd35_warehouse" for t in dag.tasks)  # a reader, not a writer
    assert dag.params["years"] == []


def test_annual_report_is_scheduled_on_what_the_nightly_dag_publishes(bag):
    publish = bag.dags["bcd35_nightly"].get_task("publish")
    published = {a.uri for a in publish.outlets}
    assert published == {"bcd35://warehouse/published"}
    condition = bag.dags["bcd35_annual_report"].timetable.asset_condition
    assert {a.uri for a in condition.objects} == published


def test_dag_files_parse_within_budget(bag):
    stats = {Path(s.file).name: s.duration for s in bag.dagbag_stats}
    assert stats, "no parse statistics"
    slow = {name: d for name, d in stats.items() if _seconds(d) > PARSE_BUDGET_S}
    assert slow == {}


def _seconds(duration) -> float:
    return duration.total_seconds() if hasattr(duration, "total_seconds") else float(duration)


def test_no_heavy_imports_at_dag_module_level():
    offenders = {p.name: heavy_top_level_imports(p) for p in DAGS_DIR.glob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_planted_heavy_import_is_caught():
    assert heavy_top_level_imports(FIXTURES / "heavy_import_dag.py") == ["pandas"]


def test_planted_cycle_is_an_import_error(tmp_path):
    shutil.copy(FIXTURES / "cycle_dag.py", tmp_path / "cycle_dag.py")
    bag = _bag(tmp_path)
    assert bag.import_errors, "a DAG with a cycle must not import"
    assert "cycle" in next(iter(bag.import_errors.values())).lower()
