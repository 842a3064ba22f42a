"""dbt parsed ahead (bcd35.parse_ahead): ``bcd35 run`` hands its build to a dbt process that
parsed the project while the night's first stages ran, the build is the same as one that
starts dbt, and the process is used only when nothing it parsed can differ.

Real dbt child processes throughout; the refusals are shown on planted differences (another
environment, another project, a parse that fails), each of which must stop the process."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bcd35 import parse_ahead
from bcd35.config import DBT_PROJECT_DIR, PSEUDONYM_KEY_ENV, REPO_ROOT, Home, resolve_home
from bcd35.fingerprint import DBT_INPUTS
from bcd35.lock import writer_lock
from bcd35.warehouse.dbt import dbt_flags, start_parse_ahead
from bcd35.warehouse.duckdb import DuckDBWarehouse
from bcd35.warehouse.errors import NothingChanged
from tests.support import bcd35, published_target, table_hashes

COMMITTEE = "ham_yen"


def _invocations(log: Path) -> list[str]:
    """dbt's log cut at each invocation's header line."""
    return re.split(r"\n=+ [0-9:.]+ \| [0-9a-f-]+ =+\n", log.read_text(encoding="utf-8"))[1:]


def _stopped(proc) -> bool:
    return proc.returncode is not None


@pytest.fixture
def home(tmp_path) -> Home:
    home = resolve_home(tmp_path / "home")
    home.ensure()
    return home


def _env(home: Home) -> dict[str, str]:
    return DuckDBWarehouse().build_env(home, COMMITTEE)


def test_bcd35_run_builds_with_the_project_parsed_ahead_as_a_cold_dbt_would(home_copy: Path):
    done = bcd35(home_copy, "run", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    parse, build = _invocations(home_copy / "dbt" / "logs" / "dbt.log")[-2:]
    assert "Command `cli parse` succeeded" in parse
    assert "Command `cli build` succeeded" in build
    # the build parsed nothing itself: it ran with the manifest of the parse before it
    assert "parsing" not in build.lower()

    # the same build by a dbt started cold (this process holds no lock: nothing parsed ahead)
    home = resolve_home(home_copy)
    DuckDBWarehouse().write_candidate(home, "cold", COMMITTEE)
    cold = home.builds / "cold.duckdb"
    for schema in ("staging", "marts"):
        ours, theirs = table_hashes(published_target(home_copy), schema), table_hashes(cold, schema)
        ours.pop("published_partitions", None)  # written by the audit, after the build
        theirs.pop("published_partitions", None)
        assert ours and ours == theirs, schema


def test_a_build_takes_the_parse_in_its_environment_whatever_task_it_runs_in(home: Home):
    env = _env(home)
    parse_ahead.start(home, "duckdb", env, dbt_flags(home))
    # Airflow's task runner adds which task and try it is: nothing dbt reads
    proc = parse_ahead.take(home, "duckdb", {**env, "AIRFLOW_CTX_TASK_ID": "build",
                                              "AIRFLOW_CTX_TRY_NUMBER": "1"})
    assert proc is not None
    proc.communicate("\n")  # no command: the child parses, then ends
    assert proc.returncode == 0
    assert (home.dbt / "target" / "partial_parse.msgpack").is_file()
    assert parse_ahead.take(home, "duckdb", env) is None  # taken once


@pytest.mark.parametrize(("planted", "said"), [
    ("a variable dbt reads", "environment changed since: BCD35_COMMITTEE"),
    ("another home", "started for"), ("another target", "started for"),
    ("the dbt project changed", "the dbt project changed")])
def test_a_build_refuses_a_parse_that_may_differ_and_stops_it(home: Home, tmp_path, planted,
                                                               said, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="bcd35.parse_ahead")
    env = _env(home)
    parse_ahead.start(home, "duckdb", env, dbt_flags(home))
    proc = parse_ahead._warm.proc
    asked = (home, "duckdb", env)
    if planted == "a variable dbt reads":
        asked = (home, "duckdb", {**env, "BCD35_COMMITTEE": "bcd_0002"})
    elif planted == "another home":
        asked = (resolve_home(tmp_path / "other"), "duckdb", env)
    elif planted == "another target":
        asked = (home, "postgres", env)
    else:
        monkeypatch.setattr(parse_ahead, "project_digest", lambda: "0" * 64)
    assert parse_ahead.take(*asked) is None
    assert _stopped(proc)
    assert said in caplog.text  # the operator's log says why dbt was started again
    assert env[PSEUDONYM_KEY_ENV] not in caplog.text  # names only, never a value


def test_a_parse_that_failed_is_not_taken(home: Home, caplog):
    caplog.set_level(logging.WARNING, logger="bcd35.parse_ahead")
    env = _env(home)
    env.pop("BCD35_CANDIDATE_PATH")  # the profile cannot be rendered
    parse_ahead.start(home, "duckdb", env, dbt_flags(home))
    proc = parse_ahead._warm.proc
    proc.wait(timeout=600)
    assert proc.returncode == parse_ahead.PARSE_FAILED
    assert parse_ahead.take(home, "duckdb", env) is None
    assert f"its parse ended with exit code {parse_ahead.PARSE_FAILED}" in caplog.text


def test_only_the_writer_lock_holder_parses_ahead_and_stop_ends_it(home: Home):
    warehouse = DuckDBWarehouse()
    warehouse.prepare_build(home, COMMITTEE)  # this process holds no lock: nothing started
    assert parse_ahead._warm is None
    with writer_lock(home, "test"):
        warehouse.prepare_build(home, COMMITTEE)
        assert parse_ahead._warm is not None
        proc = parse_ahead._warm.proc
        parse_ahead.stop()
    assert parse_ahead._warm is None and _stopped(proc)
    start_parse_ahead(home, _env(home), "duckdb")  # the lock released: nothing again
    assert parse_ahead._warm is None


def test_a_build_task_of_its_own_starts_dbt_first_and_stops_it_when_nothing_changed(
        home_copy: Path, monkeypatch, caplog):
    """Under an executor (no `bcd35 run` to start it ahead), the build task starts the dbt
    process itself before it lists and fingerprints its inputs, and builds in it; a task that
    finds nothing changed stops it. A second start for the same build keeps the first."""
    caplog.set_level(logging.INFO, logger="bcd35.parse_ahead")
    home = resolve_home(home_copy)
    warehouse = DuckDBWarehouse()
    started = []
    start = parse_ahead.start

    def recorded(*args, **kwargs):
        start(*args, **kwargs)
        started.append(parse_ahead._warm.proc)

    monkeypatch.setattr(parse_ahead, "start", recorded)
    monkeypatch.setenv("BCD35_FORCE_BUILD", "1")
    with writer_lock(home, "test: a build task"):
        warehouse.prepare_build(home, COMMITTEE)  # as `bcd35 run` does before the tasks
        warehouse.build(home, "forced_run")
    assert len(started) == 2 and started[0] is started[1]  # kept, not started again
    assert "the build runs in the process that parsed the project ahead" in caplog.text
    parse, build = _invocations(home.dbt / "logs" / "dbt.log")[-2:]
    assert "Command `cli parse` succeeded" in parse
    assert "Command `cli build` succeeded" in build

    monkeypatch.setenv("BCD35_FORCE_BUILD", "0")
    with writer_lock(home, "test: a build task"), pytest.raises(NothingChanged):
        warehouse.build(home, "nothing_new")
    assert len(started) == 3 and started[2] is not started[1]
    assert parse_ahead._warm is None and _stopped(started[2])


def test_a_head_start_that_fails_leaves_the_build_to_say_why(home_copy: Path, monkeypatch,
                                                              caplog):
    """The head start is only that: when it fails, the build goes on as without it (here it
    finds nothing changed) and the task's log keeps the reason."""
    caplog.set_level(logging.WARNING, logger="bcd35.warehouse.base")

    def fails(self, home, committee):
        raise OSError("planted: the head start cannot write dbt's inputs")

    monkeypatch.setattr(DuckDBWarehouse, "prepare_build", fails)
    home = resolve_home(home_copy)
    with writer_lock(home, "test: a build task"), pytest.raises(NothingChanged):
        DuckDBWarehouse().build(home, "nothing_new")
    assert "nothing started ahead of the build" in caplog.text
    assert "planted: the head start cannot write" in caplog.text


def _task_context_names(text: str) -> list[str]:
    return re.findall(r"\b(?:AIRFLOW_CTX_\w*|__AIRFLOW_\w*)", text)


def test_nothing_dbt_reads_names_the_task_context_the_parse_cannot_have():
    """The variables :func:`parse_ahead.take` ignores must stay out of what dbt reads."""
    assert _task_context_names("{{ env_var('AIRFLOW_CTX_TASK_ID') }}")  # the check can fail
    read = [p for pattern in DBT_INPUTS for p in DBT_PROJECT_DIR.glob(pattern) if p.is_file()]
    read.append(REPO_ROOT / "bcd35" / "dbt_plugin.py")
    assert len(read) > 20
    for path in read:
        assert not _task_context_names(path.read_text(encoding="utf-8", errors="replace")), path
