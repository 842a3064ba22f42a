"""The audit of a candidate build on PostgreSQL, with Great Expectations' native PostgreSQL
data source: every expectation is computed by the server (SQL pushdown); no table is copied
into pandas.

The committed suites (``expectations/*.json``) are the same as for DuckDB. Their
``meta.table`` names a published table (``schema.table``), mapped here to the candidate's
schema, or a computed frame (``python:<frame>``), computed here in SQL as a GX query asset:

- ``python:new_pages``: the candidate's pages, and whether the office's page list has them.

Failed rows are reported like the DuckDB audit does (file, line, values in the clerk's number
format): GX returns each unexpected row's columns (``unexpected_index_column_names``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from bcd35.audit import AuditResult, CheckFailure, CheckOutcome, outcomes_of, run_checkpoint
from bcd35.audit.gx import build_data_docs, ephemeral_context, quiet
from bcd35.audit.suites import SuiteSpec, load_suites
from bcd35.pg import PgTarget
from bcd35.settings import settings

NEW_PAGES_SQL = """
select pages.*, {known} as is_known_page
from (
    select committee_code, page_id, max(page_name) as page_name, count(*) as n_posts
    from {marts}.fct_posts
    group by 1, 2
) as pages
"""
# the office's page list silences the warning (every night until the page is listed)
KNOWN_PAGE = "coalesce(pages.page_id in (select page_id from {stg}.stg_home__pages), false)"

FRAME_COLUMNS = {
    "python:new_pages": ["committee_code", "page_id", "page_name", "n_posts", "is_known_page"],
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def connection_string() -> str:
    """SQLAlchemy URL of the warehouse; the password stays a ``${…}`` reference that GX
    substitutes from the environment, so it is never part of GX's stored configuration."""
    t = PgTarget.from_env()
    password = ":${BCD35_PG_PASSWORD}" if t.password else ""
    return (f"postgresql+psycopg2://{t.user}{password}@{t.host}:{t.port}/{t.database}"
            "?application_name=bcd35-audit")


def _columns(engine, schema: str, table: str) -> list[str]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "select column_name from information_schema.columns "
            "where table_schema = :s and table_name = :t order by ordinal_position"),
            {"s": schema, "t": table}).fetchall()
    return [r[0] for r in rows]


def _asset(datasource, spec: SuiteSpec, schemas: dict[str, str],
           previous_marts: str | None, engine):
    """(asset, the columns a failed row is reported with)."""
    if spec.table == "python:new_pages":
        known = KNOWN_PAGE.format(stg=_q(schemas["staging"]))
        query = NEW_PAGES_SQL.format(marts=_q(schemas["marts"]), known=known)
        return datasource.add_query_asset(spec.name, query=query.strip()), \
            FRAME_COLUMNS[spec.table]
    if spec.table.startswith("python:"):
        raise ValueError(f"unknown computed frame {spec.table}")
    layer, table = spec.table.split(".")
    schema = schemas[layer]
    with warnings.catch_warnings():  # one data source for all the candidate's schemas
        warnings.filterwarnings("ignore", "`schema_name` is deprecated", DeprecationWarning)
        asset = datasource.add_table_asset(spec.name, table_name=table, schema_name=schema)
    return asset, _columns(engine, schema, table)


def _failed_rows(result: dict) -> tuple[list[dict], int]:
    rows = [dict(found) for found in (result.get("unexpected_index_list") or [])]
    return rows, result.get("unexpected_count") or len(rows)


def _validate(context, datasource, spec: SuiteSpec, schemas: dict[str, str],
              previous_marts: str | None, engine, file_names: dict[str, str],
              ) -> tuple[list[CheckOutcome], list[CheckFailure]]:
    asset, columns = _asset(datasource, spec, schemas, previous_marts, engine)
    results = run_checkpoint(context, spec, asset.add_batch_definition_whole_table(spec.name),
                             {"result_format": "COMPLETE",
                              "unexpected_index_column_names": columns,
                              "return_unexpected_index_query": False})
    return outcomes_of(results, spec, file_names, _failed_rows)


def audit_candidate_pg(schemas: dict[str, str], previous_marts: str | None = None,
                       data_docs: Path | None = None, suites: list[SuiteSpec] | None = None,
                       file_names: dict[str, str] | None = None) -> AuditResult:
    """Run every committed suite on the candidate schemas (``layer → schema``); never raises
    on failed checks. ``previous_marts``: the published marts schema, if any (new pages)."""
    import sqlalchemy as sa

    quiet()
    context = ephemeral_context(data_docs)
    url = connection_string()
    datasource = context.data_sources.add_postgres("bcd35_candidate", connection_string=url)
    engine = sa.create_engine(url.replace("${BCD35_PG_PASSWORD}",
                                          settings().secret("pg_password") or ""))
    checks: list[CheckOutcome] = []
    failures: list[CheckFailure] = []
    try:
        for spec in suites if suites is not None else load_suites():
            outcomes, found = _validate(context, datasource, spec, schemas, previous_marts,
                                        engine, file_names or {})
            checks += outcomes
            failures += found
        build_data_docs(context, data_docs)
    finally:
        engine.dispose()
    blocking = [f for f in failures if f.blocking]
    warnings = [f for f in failures if not f.blocking]
    return AuditResult(success=not blocking, n_expectations=len(checks),
                       failures=blocking, warnings=warnings, checks=checks)
