"""The dbt project passes sqlfluff (dbt templater) and the project-shape rules (dbt-score with
tests/dbt/score_rules.py, standing in for dbt-project-evaluator), and those rules do bite."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from tests.dbt import lint, score_rules


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return lint.lint_env(tmp_path_factory.mktemp("lint"))


def test_sqlfluff_passes(env):
    proc = lint.run_sqlfluff(env)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "Project Compiled" in proc.stdout + proc.stderr  # the dbt templater really ran


def test_project_shape_rules_pass(env, tmp_path):
    proc = lint.run_score(env, tmp_path)
    problems = lint.score_problems(proc)
    assert problems == [], "\n".join(problems)


@pytest.fixture(scope="module")
def manifest(env, tmp_path_factory):
    from dbt_score.models import ManifestLoader

    target = tmp_path_factory.mktemp("manifest")
    proc = subprocess.run(
        [str(lint.BIN / "dbt"), "parse", "--project-dir", str(lint.DBT_DIR), "--profiles-dir",
         str(lint.DBT_DIR), "--target-path", str(target), "--log-path", str(target / "logs")],
        cwd=lint.REPO, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return ManifestLoader(Path(target) / "manifest.json")


def _model(manifest, name: str):
    return next(m for m in manifest.models.values() if m.name == name)


def _source(manifest, name: str):
    return next(s for s in manifest.sources.values() if s.name == name)


def _fails(rule, node) -> bool:
    return rule().evaluate(node) is not None


def test_rules_catch_what_the_evaluator_catches(manifest):
    fct = _model(manifest, "fct_meetings")
    stg = _model(manifest, "stg_office__meetings")
    int_ = _model(manifest, "int_meetings_deduplicated")
    raw = _source(manifest, "meeting_log")

    # a mart reading a source directly
    assert _fails(score_rules.only_staging_reads_sources,
                  dataclasses.replace(fct, parents=[*fct.parents, raw]))
    # a staging model reading another model
    assert _fails(score_rules.staging_model_named_for_its_source,
                  dataclasses.replace(stg, parents=[*stg.parents, int_]))
    # a view
    assert _fails(score_rules.table_or_ephemeral_only,
                  dataclasses.replace(fct, config={**fct.config, "materialized": "view"}))
    # no primary-key test
    assert _fails(score_rules.has_primary_key_test,
                  dataclasses.replace(fct, tests=[], columns=[
                      dataclasses.replace(c, tests=[]) for c in fct.columns]))
    # a mart without its contract
    assert _fails(score_rules.marts_are_public_with_contract,
                  dataclasses.replace(fct, config={**fct.config, "contract": {"enforced": False}}))
    # a model named for the wrong layer
    assert _fails(score_rules.model_in_a_layer_folder, dataclasses.replace(fct, name="meetings"))
    # a hard-coded table name
    assert _fails(score_rules.no_hard_coded_references,
                  dataclasses.replace(fct, raw_code="select * from marts.fct_posts"))
    # a source read by two models
    assert _fails(score_rules.source_read_by_one_staging_model,
                  dataclasses.replace(raw, children=[*raw.children, fct]))


def test_the_one_view_is_an_exception_written_down_with_its_reason(manifest):
    view = _model(manifest, "audit_kpi_recomputation")
    assert view.config["materialized"] == "view"
    assert "compare the mart" in view.meta["lint_exceptions"]["table_or_ephemeral_only"]
    assert score_rules.table_or_ephemeral_only().evaluate(view) is None
    undeclared = dataclasses.replace(view, meta={})
    assert _fails(score_rules.table_or_ephemeral_only, undeclared)


def test_audit_exception_is_written_down_with_its_reason(manifest):
    audit = _model(manifest, "audit_meeting_totals")
    reason = audit.meta["lint_exceptions"]["has_primary_key_test"]
    assert "Great Expectations" in reason
    assert score_rules.has_primary_key_test().evaluate(audit) is None
