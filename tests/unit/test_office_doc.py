"""Every command of ``docs/office.md`` (the office's walkthrough) is run by a test, with the
same checks as the README's commands (``tests/unit/test_readme.py``)."""

from __future__ import annotations

import shlex

import pytest

from tests.unit.test_readme import (
    REPO,
    By,
    _filled,
    bash_commands,
    bcd35_subparsers,
    missing_reference,
    readme_commands,
)

OFFICE = REPO / "docs" / "office.md"
CLOSE = "tests/e2e/test_release_year_close.py::story"
RELEASE = "tests/e2e/test_release.py::"

RUN_BY: dict[str, By] = {
    "uv run bcd35 report --year 2024 --home /srv/bcd35": By(
        ("tests/conftest.py::demo_home",
         RELEASE + "test_previous_year_column_says_how_many_months_a_partial_year_covers"),
        "the same sub-command and options on a temporary home"),
    'uv run bcd35 release --year 2024 --provisional --note "Báo cáo sơ bộ gửi Ban Chỉ đạo '
    'tỉnh" --home /srv/bcd35': By((CLOSE, RELEASE + "first"), "r1, provisional"),
    'uv run bcd35 release --year 2024 --note "Báo cáo chính thức năm 2024" --home /srv/bcd35':
        By((CLOSE,), "refused twice (months missing, a file in quarantine), then r2"),
    "uv run bcd35 status --home /srv/bcd35": By((CLOSE,), "completeness and releases"),
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
}


@pytest.fixture(scope="module")
def commands() -> list[str]:
    return readme_commands(OFFICE.read_text(encoding="utf-8"))


def test_every_office_command_is_mapped_and_no_entry_is_stale(commands):
    assert [c for c in commands if c not in RUN_BY] == []
    assert [c for c in RUN_BY if c not in commands] == []


def test_a_new_unmapped_office_command_is_caught():
    text = "```bash\nuv run bcd35 release --year 2025 --note x --home /srv/bcd35\n```\n"
    assert [c for c in readme_commands(text) if c not in RUN_BY] == \
        ["uv run bcd35 release --year 2025 --note x --home /srv/bcd35"]


@pytest.mark.parametrize("ref", sorted({r for by in RUN_BY.values() for r in by.refs}))
def test_every_reference_exists(ref):
    assert missing_reference(ref) is None, missing_reference(ref)


def test_office_commands_parse_with_the_real_cli(commands):
    from bcd35.cli import build_parser

    subparsers = bcd35_subparsers()
    complete = bash_commands(OFFICE.read_text(encoding="utf-8"))
    for command in commands:
        words = _filled(shlex.split(command.removeprefix("uv run ")))
        if words[0] != "bcd35":
            continue
        assert words[1] in subparsers, command
        options = {o for action in subparsers[words[1]]._actions for o in action.option_strings}
        assert {w for w in words if w.startswith("--")} <= options, command
        if command in complete:
            build_parser().parse_args(words[1:])


def test_the_closing_note_shows_a_real_restatement():
    text = OFFICE.read_text(encoding="utf-8")
    assert "RESTATEMENT_EXAMPLE" not in text
    assert "Đính chính / restatement ham_yen 2024: r1 (provisional" in text
