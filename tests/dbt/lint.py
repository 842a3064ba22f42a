"""Lint the dbt project: sqlfluff (dbt templater) and dbt-score (project-shape rules).

``python -m tests.dbt.lint [sqlfluff|score|all]`` — used by ``make lint-sql`` and by
tests/dbt/test_lint.py. dbt needs the environment of a build to parse the project (raw
directory, candidate path, pseudonymisation key); a throw-away home with empty raw schemas
provides it, so linting never touches a real warehouse.

dbt-project-evaluator (a dbt hub package) cannot be installed here (no hub.getdbt.com, no
GitHub): dbt-score with the rules in tests/dbt/score_rules/ checks the same project shape,
see dbt_project/README.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DBT_DIR = REPO / "dbt_project"
SCORE_RULES = "tests.dbt.score_rules"


def lint_env(workdir: Path) -> dict[str, str]:
    from bcd35.config import resolve_home
    from bcd35.ingest import ensure_raw_schemas
    from bcd35.warehouse.duckdb import DuckDBWarehouse

    home = resolve_home(workdir / "home").ensure()
    ensure_raw_schemas(home)
    env = DuckDBWarehouse().dbt_env(home, home.builds / "lint.duckdb", "ham_yen")
    env["BCD35_PSEUDONYM_KEY"] = "lint-only-key"
    return env


def run_sqlfluff(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "sqlfluff"), "lint", "dbt_project/models",
         "--format", "human", "--processes", "1", "--disable-progress-bar"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)


def run_score(env: dict[str, str], workdir: Path) -> subprocess.CompletedProcess[str]:
    target = workdir / "target"
    parse = subprocess.run(
        [str(BIN / "dbt"), "parse", "--project-dir", str(DBT_DIR), "--profiles-dir",
         str(DBT_DIR), "--target-path", str(target), "--log-path", str(workdir / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if parse.returncode != 0:
        return parse
    return subprocess.run(
        [str(BIN / "dbt-score"), "lint", "--manifest", str(target / "manifest.json"),
         "--namespace", "dbt_score.rules.generic", "--namespace", SCORE_RULES,
         # has_example_sql: example queries live in the README's analysts' section, tested there
         "--disabled-rule", "dbt_score.rules.generic.has_example_sql",
         "--fail-project-under", "10", "--fail-any-item-under", "10",
         "--format", "json"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)


def score_problems(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """Every rule result that is not OK (a rule that raised counts too: dbt-score's own
    score would let it pass)."""
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return [f"dbt parse / dbt-score failed (exit {proc.returncode}):",
                proc.stdout[-3000:], proc.stderr[-3000:]]
    problems = []
    for item, evaluation in sorted(report["evaluables"].items()):
        for rule_name, result in sorted(evaluation["results"].items()):
            if result["result"] != "OK":
                problems.append(f"{item}: {rule_name}: {result['result']} "
                                f"{result.get('message') or ''}".rstrip())
    if not report["evaluables"]:
        problems.append("dbt-score evaluated nothing")
    return problems


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    status = 0
    with tempfile.TemporaryDirectory(prefix="bcd35-lint-") as tmp:
        env = lint_env(Path(tmp))
        if which in ("sqlfluff", "all"):
            proc = run_sqlfluff(env)
            print(proc.stdout + proc.stderr)
            status |= proc.returncode
        if which in ("score", "all"):
            proc = run_score(env, Path(tmp))
            problems = score_problems(proc)
            print("\n".join(problems) or "dbt-score: every rule passes for every node")
            status |= 1 if problems else 0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
