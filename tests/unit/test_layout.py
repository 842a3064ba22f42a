"""The layout shows the architecture: the ``bcd35`` package holds the product only. The test
harness of the distributed suite lives in ``tests/harness/``, the deployment helpers in
``deploy/``; the product never imports either (an installed wheel holds ``bcd35`` alone)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_PRODUCT = ("tests", "deploy", "bench")


def foreign_imports(source: str) -> list[str]:
    """Modules outside the product that ``source`` imports (any nesting: function-local too)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                 else [])
        found += [n for n in names if n.split(".")[0] in NOT_PRODUCT]
    return found


def test_the_product_imports_no_harness_and_no_deployment_helper():
    offenders = {str(path.relative_to(REPO)): bad
                 for path in sorted((REPO / "bcd35").rglob("*.py"))
                 if (bad := foreign_imports(path.read_text(encoding="utf-8")))}
    assert not offenders, offenders


def test_a_product_module_importing_the_harness_is_caught():
    planted = ("def start():\n    from tests.harness.cluster import LocalCluster\n"
               "import deploy.secrets\n")
    assert sorted(foreign_imports(planted)) == ["deploy.secrets", "tests.harness.cluster"]


def test_the_harness_and_the_helpers_are_out_of_the_package():
    for name in ("services", "cluster", "rest"):
        assert (REPO / "tests" / "harness" / f"{name}.py").is_file()
        assert not (REPO / "bcd35" / "distributed" / f"{name}.py").exists()
    for name in ("secrets", "provision"):
        assert (REPO / "deploy" / f"{name}.py").is_file()
        assert not (REPO / "bcd35" / "distributed" / f"{name}.py").exists()
