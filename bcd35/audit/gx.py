"""Great Expectations set-up shared by the DuckDB (pandas) and PostgreSQL audits."""

from __future__ import annotations

import logging
import os
from pathlib import Path

#: The Data Docs site of an audit (``data_docs`` of :func:`ephemeral_context`).
SITE_NAME = "bcd35"


def quiet() -> None:
    """No usage analytics, no progress chatter in the task log."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.ERROR)


def ephemeral_context(data_docs: Path | None):
    """An in-memory GX context; with ``data_docs``, a Data Docs site written there."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if data_docs is not None:
        context.add_data_docs_site(
            site_name=SITE_NAME,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                                  "base_directory": str(data_docs)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def build_data_docs(context, data_docs: Path | None) -> None:
    """Write the audit's Data Docs site (``data_docs``; none if None) once, with every suite
    and validation result of the audit. An ``UpdateDataDocsAction`` on each checkpoint rebuilt
    every site of the context after every suite (GX's own temporary site too), about half of a
    small audit's time (docs/performance.md#fixed-cost-of-a-small-night)."""
    if data_docs is not None:
        context.build_data_docs(site_names=[SITE_NAME])
