"""Import what a later stage of the same process needs while this one waits on a child process
(docs/performance.md#fixed-cost-of-a-small-night).

``bcd35 run`` runs every task of the night in one process (Airflow's ``dag.test()``); while
dbt builds in a child process that process only waits, and the audit that follows spends 3–4 s
importing Great Expectations. :func:`enable` (called by :func:`bcd35.orchestrate.run_nightly`
only) lets :func:`while_waiting` import it in a thread during the wait. Under an executor each
task is a process of its own, nothing is enabled, and nothing is imported for nothing.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: What the audit imports first, and takes longest to import: a module, or ``module:function``
#: for an import made by a function (Great Expectations, as the audit imports it: with what it
#: imports for nothing deferred, :func:`bcd35.audit.gx.import_gx`).
MODULES: tuple[str, ...] = ("bcd35.audit.gx:import_gx",)

_enabled = False


def enable() -> None:
    """Later stages run in this process: preload their imports while waiting."""
    global _enabled
    _enabled = True


def _import(modules: tuple[str, ...]) -> None:
    for entry in modules:
        name, _, function = entry.partition(":")
        try:
            module = importlib.import_module(name)
            if function:
                getattr(module, function)()
        except Exception:  # noqa: BLE001 - the stage that needs it imports it and says why
            return


@contextmanager
def while_waiting() -> Iterator[None]:
    """Run the body (a wait on a child process); when enabled, import :data:`MODULES` in a
    thread meanwhile, and wait for that import at the end of the body, so no other import of
    this process runs beside it. A body that raises does not wait for it."""
    thread = None
    if _enabled:
        thread = threading.Thread(target=_import, args=(MODULES,), name="bcd35-preload",
                                  daemon=True)
        thread.start()
    yield
    if thread is not None:
        thread.join()
