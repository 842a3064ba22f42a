"""Every command of the README and of the docs site is exercised by a test or by the CI script.

The pages are README.md and every ``docs/*.md`` (the MkDocs site). The commands are every line
of their ```bash blocks (comments dropped, ``\\``
continuations joined) and every inline code span that starts with ``make``, ``bcd35`` or
``uv run``. Each one must be in exactly one of two committed tables:

- ``RUN_BY``: the tests (``file::function``) or CI steps (``Makefile:target``, ``.ci/run``) that
  really run it — the same CLI with the same sub-command and options (on a temporary home or
  port instead of ``/srv/bcd35`` or 8080), or the same recipe as the Makefile target;
- ``NOT_RUN``: the commands no test runs yet, each with why and the nearest check, so that the
  gap is written down where a reviewer sees it.

The test fails when a command of a page is in neither table, when a table names a command no
page has any more, when a referenced test function, Makefile target or CI step no longer
exists, when a ``make`` command names a target or variable the Makefile lacks, and when a
``bcd35`` command does not parse with the real CLI.
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
from pathlib import Path
from typing import NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"
MAKEFILE = REPO / "Makefile"


class By(NamedTuple):
    refs: tuple[str, ...]  # "tests/x.py::test_name", "Makefile:target" or "file:literal text"
    how: str


def _ci(*refs: str) -> tuple[str, ...]:
    """CI runs ``make test`` (``.ci/run``), and these Makefile targets from it."""
    return (".ci/run:make test", "Makefile:test", *refs)


RUN = "tests/e2e/test_nightly.py::test_same_night_twice_gives_identical_marts"
DEMO = "tests/conftest.py::demo_home"
STATUS = "tests/e2e/test_nightly.py::test_file_with_one_bad_row_is_quarantined_whole"
STATUS_FAILED = "tests/e2e/test_audit_faults.py::test_inbox_fault_blocks_publication"
ROLLBACK = "tests/reliability/test_publish.py::test_keeps_seven_builds_and_rolls_back"
REPORT_AGAIN = ("tests/e2e/test_report_files.py::"
                "test_reporting_again_from_the_same_build_gives_the_same_files")
REPORT_REFUSED = "tests/e2e/test_nightly.py::test_planted_fault_blocks_publication"
REPORT_CLI = "tests/e2e/test_report_cli.py::"
REPORT_STALE = REPORT_CLI + "test_allow_stale_reports_the_last_good_build_after_a_blocked_run"
REPORT_COMMITTEE = REPORT_CLI + "test_report_of_another_committee_of_the_home"
REPORT_COMMITTEE_OWN = (REPORT_CLI
                        + "test_committee_option_with_the_home_committee_writes_the_usual_report")
REPORT_COMMITTEE_NONE = (REPORT_CLI
                         + "test_committee_without_figures_in_the_published_build_is_refused")
UP_DOWN = "tests/ui/test_airflow_ui.py::airflow_ui"
SHELL = "tests/dbt/test_sql_shell.py::test_shell_refuses_files_programs_and_writes"
SHELL_NIGHT = ("tests/dbt/test_sql_shell.py::"
               "test_open_session_and_nightly_run_never_block_each_other")
DBT_DOCS = "tests/dbt/test_sql_shell.py::test_docs_site_is_built_and_served_on_localhost"
SITE = ("tests/dbt/test_docs_site.py::"
        "test_make_docs_builds_the_site_and_the_dbt_docs_and_serves_both")

CLOSE = "tests/e2e/test_release_year_close.py::story"
RELEASE = "tests/e2e/test_release.py::"

RUN_BY: dict[str, By] = {
    # --- the two commands -----------------------------------------------------------------
    "make run": By(
        ("Makefile:run", "Makefile:setup", DEMO),
        "the recipe is `make setup` (run by make test) then bcd35 demo, run and report --year "
        "2024 on a fresh home, which the session fixture demo_home runs with the real CLI "
        "(test_make_run_is_what_the_demo_fixture_runs keeps the two equal)"),
    "make test": By(_ci(), "CI runs it"),
    # --- operator -------------------------------------------------------------------------
    "make up": By(
        ("Makefile:up", UP_DOWN,
         "tests/ui/test_airflow_ui.py::test_make_up_keeps_the_generated_admin_password_and_a_pid_file"),
        "the fixture runs the recipe, `bcd35 up --home DIR --port N`, on a copy of the demo "
        "home and a free port"),
    "make up PORT=8081": By(("Makefile:up", UP_DOWN), "the same recipe on another port"),
    "make down": By(
        ("Makefile:down", UP_DOWN,
         "tests/ui/test_operator_standalone.py::test_down_without_pid_file_does_nothing"),
        "the fixture runs the recipe, `bcd35 down --home DIR`, and checks Airflow stopped"),
    "bcd35 up": By((UP_DOWN,), "run by the fixture"),
    "bcd35 up --home DIR --port N": By((UP_DOWN,), "run by the fixture"),
    "uv run bcd35 run --home /srv/bcd35": By((DEMO, RUN), "the real CLI on a temporary home"),
    "bcd35 run": By((DEMO, RUN), "the real CLI on a temporary home"),
    "bcd35 run --help": By(("tests/unit/test_writer_lock.py::"
                            "test_the_readme_and_help_carry_the_exit_code_table",),
                           "the real CLI; its exit code table is the README's"),
    "uv run bcd35 run --force --home /srv/bcd35": By(
        (RUN, "tests/e2e/test_nightly.py::test_night_with_nothing_new_builds_nothing"),
        "the real CLI: --force rebuilds identical marts; without it nothing new is skipped"),
    "uv run bcd35 run --accept-withdrawals --home /srv/bcd35": By(
        ("tests/e2e/test_corrections.py::test_supersede_move_bad_version_withdraw_and_the_guard",),
        "the real CLI: two of ten loaded files deleted, the run exits 5 and withdraws nothing; "
        "with --accept-withdrawals they are withdrawn and the KPIs change"),
    "bcd35 run --force": By(
        ("tests/e2e/test_parse_ahead.py::"
         "test_bcd35_run_builds_with_the_project_parsed_ahead_as_a_cold_dbt_would",),
        "the real CLI: the build runs in the process that parsed ahead, and its marts equal a "
        "build by a dbt started cold"),
    "bcd35 run --accept-withdrawals": By(
        ("tests/e2e/test_corrections.py::test_supersede_move_bad_version_withdraw_and_the_guard",),
        "the real CLI, as above"),
    "uv run bcd35 status --home /srv/bcd35": By(
        (STATUS, STATUS_FAILED, "tests/unit/test_status.py::test_cli_status_prints_the_table"),
        "the real CLI after a quarantined file and after a blocked audit"),
    "bcd35 status": By((STATUS, STATUS_FAILED), "the real CLI"),
    "uv run bcd35 rollback --home /srv/bcd35": By((ROLLBACK,), "the real CLI after 9 builds"),
    "bcd35 rollback": By((ROLLBACK,), "the real CLI"),
    "bcd35 sql": By(
        ("tests/e2e/test_engines.py::test_the_analysts_shell_reads_and_cannot_write",),
        "the real CLI on both engines: DuckDB's read-only shell, psql as bcd35_analyst; a "
        "read answers, a delete is refused"),
    "bcd35 demo": By((DEMO,), "the first command of the session fixture"),
    # --- office: releases (docs/office.md#releases) -----------------------------------------
    'uv run bcd35 release --year 2024 --provisional --note "Báo cáo sơ bộ gửi Ban Chỉ đạo '
    'tỉnh" --home /srv/bcd35': By((CLOSE, RELEASE + "first"), "r1, provisional"),
    'uv run bcd35 release --year 2024 --note "Báo cáo chính thức năm 2024" --home /srv/bcd35':
        By((CLOSE,), "refused twice (months missing, a file in quarantine), then r2"),
    "bcd35 release": By((CLOSE, RELEASE + "first"), "the real CLI on a temporary home"),
    "uv run bcd35 diff --year 2024 --home /srv/bcd35": By((CLOSE,), "r1 against current"),
    "uv run bcd35 diff --year 2024 r1 r2 --home /srv/bcd35": By((CLOSE,), "r1 against r2"),
    "uv run bcd35 verify-release /srv/bcd35/releases/ham_yen/2024/r2": By(
        (RELEASE + "test_verify_release_passes_on_a_good_release_and_rebuilds_every_figure",),
        "the real rebuild on a temporary home's release"),
    "uv run bcd35 backup /backup/bcd35-2025-01-31 --home /srv/bcd35": By(
        (RELEASE + "test_backup_during_a_running_night_restores_into_a_fresh_home_that_runs",),
        "during a night held at a failpoint"),
    "uv run bcd35 restore /backup/bcd35-2025-01-31 --home /srv/bcd35-restored": By(
        (RELEASE + "test_backup_during_a_running_night_restores_into_a_fresh_home_that_runs",),
        "into a fresh home, which then runs a night"),
    "bcd35 config": By(
        ("tests/unit/test_settings.py::"
         "test_bcd35_config_masks_secrets_and_says_where_each_value_came_from",
         "tests/unit/test_settings.py::test_bcd35_config_names_an_invalid_value"),
        "the real CLI with secrets set: masked, each value's source named"),
    # --- analysts -------------------------------------------------------------------------
    "make sql": By(
        ("Makefile:sql", SHELL, SHELL_NIGHT,
         "tests/dbt/test_sql_shell.py::test_open_shell_without_a_published_warehouse"),
        "the recipe (`python -m bcd35.sql shell`) opens the DuckDB CLI command line of "
        "bcd35.sql.shell_command; the tests run that command line as a process and "
        "open_shell without a warehouse; the interactive wrapper itself is not started"),
    "make docs": By(("Makefile:docs", SITE, DBT_DOCS),
                    "the test runs the Makefile's recipe (mkdocs build --strict, then "
                    "`python -m bcd35.sql docs --no-serve --out`) on a copy of a published home"),
    "make docs-serve": By(("Makefile:docs-serve", SITE),
                          "the test runs the recipe (`python -m bcd35.sql serve --dir`) on a "
                          "free port and reads the site and the dbt docs from it"),
    "bcd35 templates --out DIR": By(
        ("tests/unit/test_clerk_templates.py::test_cli_writes_the_committed_templates",),
        "the real CLI into a temporary folder"),
    # --- office ---------------------------------------------------------------------------
    "uv run bcd35 report --year 2024 --home /srv/bcd35": By(
        (DEMO, REPORT_AGAIN, REPORT_REFUSED), "the real CLI: writes, writes again, refuses"),
    "bcd35 report": By((DEMO, REPORT_AGAIN, REPORT_REFUSED), "the real CLI"),
    "bcd35 report --year 2024": By((DEMO, REPORT_AGAIN), "the real CLI"),
    "bcd35 report --year Y": By((DEMO, REPORT_AGAIN), "the real CLI, Y = 2024"),
    "uv run bcd35 report --year 2024 --allow-stale --home /srv/bcd35": By(
        (REPORT_STALE,),
        "the real CLI on a copy of the demo home after a run blocked by a planted inbox fault: "
        "refused without the option, then the report of the last good build (its figures, "
        "build id and run id in the audit pack; none of the failed candidate's)"),
    "uv run bcd35 report --year 2024 --committee yen_son --home /srv/bcd35": By(
        (REPORT_COMMITTEE, REPORT_COMMITTEE_OWN, REPORT_COMMITTEE_NONE),
        "the real CLI: one bcd35 run with inbox/yen_son/ listed in HOME/committees.csv, then "
        "--committee yen_son writes exports/yen_son/2024/ with Yên Sơn's figures; the home's "
        "own code writes exports/2024/; a committee without figures is refused"),
    "bcd35 report --year Y --committee CODE": By(
        (REPORT_COMMITTEE, REPORT_COMMITTEE_OWN, REPORT_COMMITTEE_NONE),
        "as above, CODE = yen_son, Y = 2024"),
    # --- clerks ---------------------------------------------------------------------------
    "uv run bcd35 templates --out mau/": By(
        ("tests/unit/test_clerk_templates.py::test_cli_writes_the_committed_templates",),
        "the real CLI into a temporary folder; the files hold what templates/ holds"),
    "uv run bcd35 check so_hoi_nghi_2025.xlsx --home /srv/bcd35": By(
        ("tests/unit/test_clerk_check.py::test_check_writes_nothing_in_the_home_cwd_or_tmp",
         "tests/unit/test_clerk_check.py::"
         "test_check_says_loaded_already_and_what_it_would_supersede",
         "tests/unit/test_clerk_check.py::"
         "test_text_output_is_vietnamese_with_english_and_as_refuses_escape",
         "tests/e2e/test_clerk_templates_night.py::"
         "test_filled_templates_load_and_give_the_expected_kpis"),
        "the real CLI on a temporary home (with --json to compare, and without it for the "
        "text); the night test checks filled templates first, without --home"),
    "uv run bcd35 upload --home /srv/bcd35 --port 8090": By(
        ("tests/ui/test_upload_page.py::server",),
        "the fixture starts the real CLI on a copy of the demo home and a free port; the "
        "browser tests drive it"),
    "uv run bcd35 alerts check --home /srv/bcd35": By(
        ("tests/e2e/test_alerts.py::test_stale_warehouse_alert_and_nothing_without_a_setting",),
        "the real CLI: fresh at 35 hours, an alert to SMTP and webhook at 40, none repeated, "
        "none without BCD35_ALERT_URLS"),
    "bcd35 check": By(
        ("tests/unit/test_clerk_check.py::"
         "test_check_gives_the_quarantine_reports_problems_on_every_fixture",),
        "the real CLI on every fixture"),
    "bcd35 upload": By(("tests/ui/test_upload_page.py::server",), "run by the fixture"),
    "bcd35 alerts check": By(
        ("tests/e2e/test_alerts.py::test_stale_warehouse_alert_and_nothing_without_a_setting",),
        "the real CLI"),
    # --- production -----------------------------------------------------------------------
    "python -m deploy.secrets .env": By(
        ("tests/unit/test_secrets_cli.py::"
         "test_writes_every_secret_of_the_example_into_a_private_env_file",
         "tests/unit/test_secrets_cli.py::test_refuses_to_overwrite_an_existing_env_file",
         "tests/unit/test_secrets_cli.py::test_refuses_to_overwrite_a_hand_made_env_file",
         "tests/unit/test_secrets_cli.py::test_each_run_generates_fresh_secrets"),
        "the module run as a process in an empty folder: every variable .env.example leaves "
        "empty is filled, mode 0600, nothing printed; run again it refuses (exit 1) and "
        "leaves the file as it was"),
    "make test-distributed": By(_ci("Makefile:test-distributed"),
                                "make test runs `$(MAKE) test-distributed`"),
    # --- development ----------------------------------------------------------------------
    "make lint": By(_ci("Makefile:lint"), "make test depends on lint"),
    "make setup": By(_ci("Makefile:lint", "Makefile:setup"),
                     "make test depends on lint, which depends on setup"),
    "uv run pytest tests/unit -q": By(
        _ci(), "make test runs pytest over every folder but tests/distributed"),
    "uv run pytest tests/dags -q": By(
        _ci(), "make test runs pytest over every folder but tests/distributed"),
    "uv run pytest tests/e2e tests/reliability -q": By(
        _ci(), "make test runs pytest over every folder but tests/distributed"),
    "uv run pytest tests/dbt/test_unit_tests.py -q": By(
        _ci(), "make test runs pytest over every folder but tests/distributed"),
    "make test-dbt": By(
        _ci("Makefile:test-dbt"),
        "the recipe is `pytest tests/dbt`, which make test's pytest includes"),
    "make lint-sql": By(
        ("Makefile:lint-sql", "tests/dbt/test_lint.py::test_sqlfluff_passes",
         "tests/dbt/test_lint.py::test_project_shape_rules_pass", *_ci()),
        "the recipe is `python -m tests.dbt.lint all`; test_lint runs the same sqlfluff and "
        "dbt-score commands through tests.dbt.lint, and make test runs test_lint"),
    "make test-ui": By(
        _ci("Makefile:test-ui", "Makefile:bash scripts/ensure-chromium"),
        "the recipe is scripts/ensure-chromium then `pytest tests/ui`; make test runs both "
        "(its pytest includes tests/ui)"),
    "make bench SIZE=small": By(
        _ci("Makefile:bench", "Makefile:$(MAKE) bench SIZE=small"),
        "make test runs it as a smoke check (night 1 through dag.test(), no timing asserts)"),
}

NOT_RUN: dict[str, By] = {
    "docker compose build": By(
        ("tests/unit/test_compose.py::test_images_are_pinned",),
        "Docker does not run on our machines: the compose file is validated, not built"),
    "docker compose up -d": By(
        ("tests/unit/test_compose.py::test_every_long_running_service_has_a_health_check",
         "Makefile:test-distributed"),
        "Docker does not run here: make test-distributed starts the same services as "
        "processes"),
    "docker compose ps": By(
        ("tests/unit/test_compose.py::test_every_long_running_service_has_a_health_check",),
        "Docker does not run here"),
    "TOKEN=$(curl -s -X POST http://127.0.0.1:8080/auth/token -H 'Content-Type: application/json' "
    "-d \"{\\\"username\\\": \\\"bcd35_ops\\\", \\\"password\\\": "
    "\\\"$AIRFLOW_PASSWORD_BCD35_OPS\\\"}\" | jq -r .access_token)": By(
        ("tests/distributed/test_distributed.py::test_first_night_on_postgres_reproduces_spec",
         "tests/distributed/test_distributed.py::test_rest_api_refuses_unauthenticated_calls"),
        "the same request (POST /auth/token as bcd35_ops) is sent with httpx "
        "(tests.harness.rest), not with curl"),
    "curl -s -X POST http://127.0.0.1:8080/api/v2/dags/bcd35_nightly/dagRuns -H "
    "\"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
    "-d '{\"logical_date\": null}'": By(
        ("tests/distributed/test_distributed.py::test_first_night_on_postgres_reproduces_spec",),
        "the same trigger (POST dagRuns, logical_date null, bearer token) is sent with httpx, "
        "not with curl"),
    "make bench SIZE=province": By(
        ("tests/bench/test_generate.py::test_generator_is_deterministic_and_loads_cleanly",),
        "too large for CI (≈ 4 min); the generator is tested"),
    "make bench SIZE=national": By(
        ("tests/bench/test_generate.py::test_generator_is_deterministic_and_loads_cleanly",),
        "too large for CI (≈ 17 min with the baselines)"),
    "make bench SIZE=all": By(
        ("tests/bench/test_generate.py::test_generator_is_deterministic_and_loads_cleanly",
         "Makefile:$(MAKE) bench SIZE=small"),
        "too large for CI (≈ 22 min): the three sizes in turn, through the same code as the "
        "small size CI runs"),
    "make bench SIZE=national BENCH_ARGS=\"--nights 1\"": By(
        ("tests/bench/test_generate.py::test_generator_is_deterministic_and_loads_cleanly",),
        "too large for CI"),
    "make bench SIZE=national BENCH_ARGS=\"--baselines-only\"": By(
        ("tests/bench/test_generate.py::test_limit_baseline_reads_every_csv",),
        "too large for CI; the limit baseline is tested on a small inbox"),
    "make bench SIZE=province BENCH_ARGS=\"--profile\"": By(
        ("tests/bench/test_generate.py::test_generator_is_deterministic_and_loads_cleanly",),
        "too large for CI; --profile is not tested"),
}

# --- reading the README ---------------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.M | re.S)
INLINE_COMMAND = re.compile(r"(make|bcd35|uv run) \S")
PLACEHOLDERS = {"DIR": "/tmp/bcd35-home", "Y": "2024", "N": "8080", "CODE": "yen_son"}


def _strip_comment(line: str) -> str:
    """The line without its shell comment (a ``#`` outside quotes, after a blank)."""
    quote = None
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
        i += 1
    return line


def bash_commands(text: str) -> list[str]:
    """Every command line of the ```bash blocks, whitespace collapsed, in order, once each."""
    found = []
    for lang, body in FENCE.findall(text):
        if lang != "bash":
            continue
        for line in re.sub(r"\\\n[ \t]*", " ", body).splitlines():
            command = " ".join(_strip_comment(line).split())
            if command:
                found.append(command)
    return list(dict.fromkeys(found))


def inline_commands(text: str) -> list[str]:
    """Inline code spans (outside fenced blocks) that are make, bcd35 or uv run commands."""
    spans = (" ".join(s.split()) for s in re.findall(r"`([^`\n]+)`", FENCE.sub("", text)))
    return list(dict.fromkeys(s for s in spans if INLINE_COMMAND.match(s)))


def readme_commands(text: str) -> list[str]:
    return list(dict.fromkeys(bash_commands(text) + inline_commands(text)))


def unmapped(text: str) -> list[str]:
    return [c for c in readme_commands(text) if c not in RUN_BY and c not in NOT_RUN]


def pages() -> list[Path]:
    """The README and every page of the docs site."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def site_text() -> str:
    return "\n\n".join(page.read_text(encoding="utf-8") for page in pages())


@pytest.fixture(scope="module")
def commands() -> list[str]:
    return readme_commands(site_text())


# --- resolving references -------------------------------------------------------------------

def make_targets() -> dict[str, list[str]]:
    """Makefile target → its recipe lines."""
    targets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in MAKEFILE.read_text(encoding="utf-8").splitlines():
        rule = re.match(r"^([A-Za-z0-9_.-]+):(?!=)", line)
        if rule:
            current = targets.setdefault(rule[1], [])
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif line.strip() and not line.startswith("#"):
            current = None
    return targets


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def missing_reference(ref: str) -> str | None:
    """Why ``ref`` does not resolve, or None when it does."""
    if "::" in ref:
        file, name = ref.split("::")
        path = REPO / file
        if not path.is_file():
            return f"{file} does not exist"
        return None if name in functions_in(path) else f"{file} has no function {name}"
    if ref.startswith("Makefile:"):
        wanted = ref.removeprefix("Makefile:")
        targets = make_targets()
        if wanted in targets:
            return None
        recipes = [line for recipe in targets.values() for line in recipe]
        if any(wanted in line for line in recipes):
            return None
        return f"the Makefile has no target or recipe line {wanted!r}"
    file, _, literal = ref.partition(":")
    path = REPO / file
    if not path.is_file():
        return f"{file} does not exist"
    if literal and literal not in path.read_text(encoding="utf-8"):
        return f"{file} does not contain {literal!r}"
    return None


def bcd35_subparsers() -> dict[str, argparse.ArgumentParser]:
    from bcd35.cli import build_parser

    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _filled(words: list[str]) -> list[str]:
    return [PLACEHOLDERS.get(w, w) for w in words]


# --- the tests ------------------------------------------------------------------------------

def test_the_site_has_the_commands_of_each_user(commands):
    for command in ("make run", "make test", "make up", "make down", "make sql",
                    "uv run bcd35 report --year 2024 --home /srv/bcd35", "make test-dbt"):
        assert command in commands
    assert not any(c.startswith("#") or c.endswith("\\") for c in commands)


def test_every_readme_command_is_mapped_to_what_runs_it():
    missing = [f"{page.relative_to(REPO)}: {command}" for page in pages()
               for command in unmapped(page.read_text(encoding="utf-8"))]
    assert not missing, (
        "commands with no entry in tests/unit/test_readme.py (RUN_BY: the test or CI "
        "step that runs it; NOT_RUN: why nothing does yet):\n  " + "\n  ".join(missing))


def test_the_docs_pages_are_read(commands):
    """The site's pages are part of the rule: commands only they show are found."""
    assert DOCS / "operator.md" in pages() and DOCS / "production.md" in pages()
    readme_only = readme_commands(README.read_text(encoding="utf-8"))
    assert "uv run bcd35 rollback --home /srv/bcd35" in set(commands) - set(readme_only)


def test_a_new_unmapped_command_is_caught():
    text = ("Run `make run`, then:\n\n```bash\nmake test\n"
            "uv run bcd35 frobnicate --home /srv/bcd35 \\\n    --twice   # not a real command\n"
            "```\n\nand inline `make frobnicate` too.\n")
    assert unmapped(text) == ["uv run bcd35 frobnicate --home /srv/bcd35 --twice",
                              "make frobnicate"]


def test_no_entry_for_a_command_the_readme_no_longer_has(commands):
    stale = [c for c in [*RUN_BY, *NOT_RUN] if c not in commands]
    assert not stale, f"entries for commands the README no longer has: {stale}"
    assert not set(RUN_BY) & set(NOT_RUN)


@pytest.mark.parametrize("ref", sorted({r for by in [*RUN_BY.values(), *NOT_RUN.values()]
                                        for r in by.refs}))
def test_every_reference_exists(ref):
    assert missing_reference(ref) is None, missing_reference(ref)


def test_a_vanished_test_or_target_is_caught():
    assert missing_reference("tests/conftest.py::no_such_fixture")
    assert missing_reference("tests/no_such_file.py::test_x")
    assert missing_reference("Makefile:no-such-target")
    assert missing_reference(".ci/run:make no-such-target")
    assert missing_reference("tests/conftest.py::demo_home") is None


def test_make_commands_name_real_targets_and_variables(commands):
    targets = make_targets()
    makefile = MAKEFILE.read_text(encoding="utf-8")
    for command in commands:
        words = shlex.split(command)
        if words[0] != "make":
            continue
        names = [w for w in words[1:] if "=" not in w]
        assert names and all(n in targets for n in names), command
        for setting in (w for w in words[1:] if "=" in w):
            variable = setting.split("=", 1)[0]
            assert f"$({variable})" in makefile, f"{command}: the Makefile never uses {variable}"


def test_bcd35_commands_parse_with_the_real_cli(commands):
    from bcd35.cli import build_parser

    subparsers = bcd35_subparsers()
    complete = bash_commands(site_text())
    for command in commands:
        words = _filled(shlex.split(command.removeprefix("uv run ")))
        if words[0] != "bcd35":
            continue
        assert words[1] in subparsers, command
        options = {o for action in subparsers[words[1]]._actions for o in action.option_strings}
        assert {w for w in words if w.startswith("--")} <= options, command
        if command in complete:
            build_parser().parse_args(words[1:])  # a complete command: every required option


def test_make_run_is_what_the_demo_fixture_runs():
    """``make run`` is run in CI as its parts: ``make setup`` (by make test) and the three
    bcd35 commands of its recipe, which the session fixture ``demo_home`` runs."""
    recipe = make_targets()["run"]
    in_recipe = [m[1] for line in recipe if (m := re.search(r"\bbcd35 (\w+)", line))]
    tree = ast.parse((REPO / "tests" / "conftest.py").read_text(encoding="utf-8"))
    [fixture] = [n for n in ast.walk(tree)
                 if isinstance(n, ast.FunctionDef) and n.name == "demo_home"]
    calls = sorted((call.lineno, call.args[1].value) for call in ast.walk(fixture)
                   if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "bcd35")
    assert in_recipe == [name for _, name in calls] == ["demo", "run", "report"]
    assert any("rm -rf $(HOME_DIR)" in line for line in recipe)  # a fresh home, like the fixture's
    assert re.search(r"^run:.*\bsetup\b", MAKEFILE.read_text(encoding="utf-8"), re.M)
