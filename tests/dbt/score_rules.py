"""dbt-score rules for the shape of the dbt project: the main checks of dbt-project-evaluator.

dbt-project-evaluator is a dbt hub package and the hub (and GitHub) cannot be reached from
here, so its checks are re-expressed as dbt-score rules over the manifest. Each rule's
docstring names the evaluator check it stands for. Layers are told by folder and prefix
(dbt_project/README.md):

    models/staging/<source>/stg_<source>__<entity>s   the only models that read sources
    models/intermediate/<area>/int_<entity>s_<verb>s  natural keys, joins, KPI definitions
    models/marts/<area>/fct_*, dim_*, mart_kpi_*      what analysts query (public, contracted)
    models/audit/audit_*                              what the Great Expectations suites read

An exception is declared in dbt_project.yml as model meta ``lint_exceptions: {rule: reason}``
and must give its reason; the rule then passes for that model.

Run with tests/dbt/lint.py (``make lint-sql``).
"""


import re
from pathlib import PurePosixPath

from dbt_score import Exposure, Model, RuleViolation, Seed, Source, rule

LAYERS = {  # folder under models/ -> allowed name prefixes
    "staging": ("stg_",),
    "intermediate": ("int_",),
    "marts": ("fct_", "dim_", "mart_"),
    "audit": ("audit_",),
}
MAX_JOINS = 6  # evaluator: too_many_joins_threshold = 7 (at 7 or more)
MAX_LEAF_CHILDREN = 3  # evaluator: models_fanout_threshold = 3
HARD_CODED = re.compile(
    r"\b(?:from|join)\s+(?!\(|\{\{)(?:\"?\w+\"?\.){1,2}\"?\w+\"?", re.IGNORECASE)


def _path(model: Model) -> PurePosixPath:
    return PurePosixPath(model.original_file_path)


def _layer(model: Model) -> str | None:
    parts = _path(model).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else None


def _excepted(model: Model, name: str) -> bool:
    reason = (model.meta or {}).get("lint_exceptions", {}).get(name)
    return bool(reason and str(reason).strip())


def _sql_without_comments(model: Model) -> str:
    code = re.sub(r"\{#.*?#\}", "", model.raw_code, flags=re.DOTALL)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", code)


@rule
def model_in_a_layer_folder(model: Model) -> RuleViolation | None:
    """A model lives in a layer folder and carries that layer's prefix (evaluator:
    model_directories, model_naming_conventions)."""
    layer = _layer(model)
    if layer not in LAYERS:
        return RuleViolation(f"{model.original_file_path} is not under models/<layer>/ "
                             f"with layer one of {sorted(LAYERS)}.")
    if not model.name.startswith(LAYERS[layer]):
        return RuleViolation(f"A {layer} model's name starts with {' or '.join(LAYERS[layer])}.")
    return None


@rule
def staging_model_named_for_its_source(model: Model) -> RuleViolation | None:
    """A staging model is stg_<source>__<entity> in models/staging/<source>/ and reads
    exactly one source table and nothing else (evaluator: staging_models_dependent_on_
    downstream_models, staging_dependent_on_staging, multiple_sources_joined,
    source_directories)."""
    if _layer(model) != "staging":
        return None
    sources = [p for p in model.parents if isinstance(p, Source)]
    others = [p for p in model.parents if not isinstance(p, Source)]
    if len(sources) != 1 or others:
        return RuleViolation("A staging model reads exactly one source and no model or seed.")
    source_name = sources[0].source_name
    folder = _path(model).parts[2]
    if folder != source_name or not model.name.startswith(f"stg_{source_name}__"):
        return RuleViolation(f"Expected models/staging/{source_name}/stg_{source_name}__<entity>.")
    return None


@rule
def only_staging_reads_sources(model: Model) -> RuleViolation | None:
    """Only staging models select from sources (evaluator: marts_or_intermediate_dependent_
    on_source, direct_join_to_source)."""
    if _layer(model) != "staging" and any(isinstance(p, Source) for p in model.parents):
        return RuleViolation("Read the source through its staging model.")
    return None


@rule
def no_rejoining_of_upstream_concepts(model: Model) -> RuleViolation | None:
    """A model does not join a parent together with that parent's only child step
    (evaluator: rejoining_of_upstream_concepts): fold the single-use step into the model."""
    parents = [p for p in model.parents if isinstance(p, Model)]
    for step in parents:
        if [c.unique_id for c in step.children] != [model.unique_id]:
            continue
        step_parents = {p.unique_id for p in step.parents}
        for other in parents:
            if other is not step and other.unique_id in step_parents:
                return RuleViolation(f"{model.name} joins {other.name} and {step.name}, whose "
                                     f"only child it is and which reads {other.name} itself.")
    return None


@rule
def no_hard_coded_references(model: Model) -> RuleViolation | None:
    """Tables are referenced with ref() or source(), never by name (evaluator:
    hard_coded_references)."""
    match = HARD_CODED.search(_sql_without_comments(model))
    if match:
        return RuleViolation(f"Hard-coded reference: {match.group(0)!r}.")
    return None


@rule
def not_too_many_joins(model: Model) -> RuleViolation | None:
    """A model has fewer than 7 joins (evaluator: too_many_joins)."""
    n_joins = len(re.findall(r"\bjoin\b", _sql_without_comments(model), re.IGNORECASE))
    if n_joins > MAX_JOINS:
        return RuleViolation(f"{n_joins} joins: split the model.")
    return None


@rule
def limited_leaf_fanout(model: Model) -> RuleViolation | None:
    """A model feeds at most 3 leaf models directly (evaluator: model_fanout)."""
    leaves = [c for c in model.children if isinstance(c, Model) and not c.children]
    if len(leaves) > MAX_LEAF_CHILDREN and not _excepted(model, "limited_leaf_fanout"):
        return RuleViolation(f"{len(leaves)} leaf children: move shared logic upstream.")
    return None


@rule
def has_primary_key_test(model: Model) -> RuleViolation | None:
    """The primary key is tested: one column with unique and not_null tests, or a
    unique_combination_of_columns test (evaluator: missing_primary_key_tests)."""
    if _excepted(model, "has_primary_key_test"):
        return None
    for column in model.columns:
        types = {t.type for t in column.tests}
        if {"unique", "not_null"} <= types:
            return None
    if any(t.type == "unique_combination_of_columns" for t in model.tests):
        return None
    return RuleViolation("No primary-key test (unique + not_null, or "
                         "unique_combination_of_columns).")


@rule
def table_or_ephemeral_only(model: Model) -> RuleViolation | None:
    """No views (the project's own rule; stands in for evaluator: chained_views_dependencies):
    the published DuckDB file is opened under another name than it was built as, and a
    DuckDB view keeps the catalog name it was created with."""
    materialized = model.config.get("materialized")
    if materialized not in ("table", "ephemeral", "incremental") \
            and not _excepted(model, "table_or_ephemeral_only"):
        return RuleViolation(f"materialized={materialized}: use table.")
    return None


@rule
def marts_are_public_with_contract(model: Model) -> RuleViolation | None:
    """Every mart is public, with an enforced contract and every column typed and described
    (evaluator: public_models_without_contract, undocumented_public_models)."""
    if _layer(model) != "marts":
        return model_is_not_public(model)
    if model.access != "public":
        return RuleViolation("A mart is public (access: public).")
    if not model.config.get("contract", {}).get("enforced"):
        return RuleViolation("A mart has an enforced contract.")
    missing = [c.name for c in model.columns if not c.data_type or not c.description]
    if not model.columns or missing:
        return RuleViolation(f"Columns without data_type or description: {missing}.")
    return None


def model_is_not_public(model: Model) -> RuleViolation | None:
    if model.access == "public":
        return RuleViolation("Only marts are public.")
    return None


@rule
def properties_next_to_the_model(model: Model) -> RuleViolation | None:
    """A model's YAML (description, tests) is in the model's own folder (evaluator:
    test_directories)."""
    if not model.patch_path:
        return RuleViolation("The model has no YAML properties.")
    yaml_dir = PurePosixPath(model.patch_path.split("://", 1)[-1]).parent
    if yaml_dir != _path(model).parent:
        return RuleViolation(f"Properties in {yaml_dir}, model in {_path(model).parent}.")
    return None


@rule
def source_is_documented_and_fresh(source: Source) -> RuleViolation | None:
    """A source table and its source are described and declare freshness (evaluator:
    undocumented_sources, undocumented_source_tables, sources_without_freshness)."""
    if not source.description or not source.source_description:
        return RuleViolation("Describe the source and the table.")
    raw = source._raw_values
    freshness = (raw.get("config") or {}).get("freshness") or raw.get("freshness") or {}
    if not any((freshness.get(k) or {}).get("count") for k in ("warn_after", "error_after")):
        return RuleViolation("Declare freshness (warn_after or error_after).")
    if not (raw.get("config") or {}).get("loaded_at_field") and not raw.get("loaded_at_field"):
        return RuleViolation("Declare loaded_at_field for the freshness check.")
    return None


@rule
def source_read_by_one_staging_model(source: Source) -> RuleViolation | None:
    """A source table is read by exactly one model, its staging model (evaluator:
    unused_sources, source_fanout)."""
    if len(source.children) != 1:
        return RuleViolation(f"Read by {len(source.children)} models; expected exactly one.")
    return None


@rule
def seed_has_primary_key_test(seed: Seed) -> RuleViolation | None:
    """A seed's key is tested (the evaluator's primary-key check, applied to reference data)."""
    for column in seed.columns:
        if {"unique", "not_null"} <= {t.type for t in column.tests}:
            return None
    if any(t.type == "unique_combination_of_columns" for t in seed.tests):
        return None
    return RuleViolation("No primary-key test on the seed.")


@rule
def exposure_reads_marts(exposure: Exposure) -> RuleViolation | None:
    """An exposure depends on marts only, never on sources or staging (evaluator:
    exposure_parents_materializations, exposures_dependent_on_private_models)."""
    bad = [p.name for p in exposure.parents
           if not isinstance(p, Model) or p.access != "public"]
    if bad:
        return RuleViolation(f"Exposure parents that are not public marts: {bad}.")
    return None
