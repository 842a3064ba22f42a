"""Great Expectations set-up shared by the DuckDB (pandas) and PostgreSQL audits."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path

#: The Data Docs site of an audit (``data_docs`` of :func:`ephemeral_context`).
SITE_NAME = "bcd35"

#: What importing Great Expectations imports for expectations no suite of ours uses: three of
#: its modules (KL divergence, the Kolmogorov-Smirnov p-values) run ``from scipy import stats``
#: at import, about a sixth of GX's import time and 55 MiB
#: (docs/performance.md#fixed-cost-of-a-small-night). Each is loaded on its first use instead.
DEFERRED_IMPORTS: tuple[str, ...] = ("scipy.stats",)


def defer_unused_imports(names: tuple[str, ...] = DEFERRED_IMPORTS) -> None:
    """Register each module of ``names`` not imported yet as a lazy module (the standard
    library's ``importlib.util.LazyLoader``): importing it costs nothing, and the module runs
    on the first access to one of its attributes, so code that uses it gets it whole. It is
    also bound on its parent package, where ``from scipy import stats`` looks first."""
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)  # imports the parent package (scipy: 4 ms)
        except ImportError:  # no parent package: nothing of it to defer
            continue
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)


def import_gx():
    """``great_expectations``, imported with :data:`DEFERRED_IMPORTS` deferred."""
    defer_unused_imports()
    import great_expectations

    return great_expectations


def quiet() -> None:
    """No usage analytics, no progress chatter in the task log."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    for name in ("great_expectations", "great_expectations._docs_decorators"):
        logging.getLogger(name).setLevel(logging.ERROR)


def ephemeral_context(data_docs: Path | None):
    """An in-memory GX context; with ``data_docs``, a Data Docs site written there."""
    gx = import_gx()
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
