"""The stages of one nightly run, as plain functions the Airflow DAG calls
(docs/operator.md#checks).

ingest → build (candidate) → audit (Great Expectations) → publish. Each stage holds the
home's writer lock and records itself in the run log; build, audit and publish are those of
the engine the settings choose (:func:`bcd35.warehouse.backend`), written once in
:mod:`bcd35.warehouse.base`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from bcd35 import alerts, runs
from bcd35.children import Stopped, exit_if_run_by_cli, stop_on_signals
from bcd35.config import PRIVATE_UMASK, Home, committee_code
from bcd35.ingest import ingest_inbox
from bcd35.lock import writer_lock
from bcd35.settings import settings
from bcd35.warehouse import backend
from bcd35.warehouse.errors import AuditFailed, BuildFailed, NothingChanged

__all__ = ["AuditFailed", "BuildFailed", "NothingChanged", "WithdrawalsPending", "audit",
           "build", "ingest", "publish"]

#: How long a DAG task Airflow runs on its own waits for a `bcd35 run` (or another writer)
#: holding the home before it fails (and Airflow retries it).
TASK_LOCK_WAIT_SECONDS = 30 * 60


ACCEPT_WITHDRAWALS_ENV = "BCD35_ACCEPT_WITHDRAWALS"  # "1": the operator confirmed them


class WithdrawalsPending(RuntimeError):
    """More loaded files vanished from the inbox than a night withdraws unasked: stop here."""

    def __init__(self, files: list[str], message: str):
        super().__init__(message)
        self.files = files


@contextmanager
def writing(home: Home, run_id: str, stage: str) -> Iterator[None]:
    """A writing stage: the home's writer lock held (re-entrant: `bcd35 run` holds it already),
    files private, and SIGTERM/SIGINT ending the run as abandoned, never as a failed check."""
    os.umask(PRIVATE_UMASK)
    with writer_lock(home, f"bcd35 nightly {stage} ({run_id})", wait=TASK_LOCK_WAIT_SECONDS), \
            stop_on_signals():
        try:
            yield
        except Stopped as exc:
            runs.update(home, run_id, status="abandoned", stage=stage, message=str(exc))
            exit_if_run_by_cli(f"run {run_id} ({stage}): {exc}")
            raise


def ingest(home: Home, run_id: str) -> dict:
    home.ensure()
    accept = settings().accept_withdrawals
    with writing(home, run_id, "ingest"):
        runs.start(home, run_id)
        with runs.stage(home, run_id, "ingest"):
            result = ingest_inbox(home, committee_code(), run_id=run_id,
                                  accept_withdrawals=accept)
        files = result.outcome(home)
        runs.update(home, run_id, files=files)
        _alert_quarantined(home, run_id, result)
        if result.pending_withdrawals:
            pending = [f.original_path for f in result.pending_withdrawals]
            message = (f"{len(pending)} tệp đã nạp không còn trong inbox; chưa rút tệp nào. Nếu "
                       "đúng là cố ý, chạy `bcd35 run --accept-withdrawals`. / "
                       f"{len(pending)} loaded files are gone from the inbox; nothing was "
                       "withdrawn. If that is intended, run `bcd35 run --accept-withdrawals`.\n"
                       + "\n".join(f"  ? {f}" for f in pending))
            runs.update(home, run_id, status="awaiting_confirmation", message=message)
            raise WithdrawalsPending(pending, message)
    return {
        "loaded": len(result.loaded),
        "quarantined": len(result.quarantined),
        "skipped": len(result.skipped),
        "superseded": len(result.superseded),
        "withdrawn": len(result.withdrawn),
        "summary": result.summary(),
    }


def _alert_quarantined(home: Home, run_id: str, result) -> None:
    alerts.send_quarantined(home, run_id, [
        alerts.QuarantinedFile(f.original_path, f.sha256, f.reason or "", str(f.report_path))
        for f in result.quarantined])


def prepare_build(home: Home) -> None:
    """Before the night's tasks, what the build can start without its inputs (DuckDB: dbt
    parses the project, when this process holds the home's writer lock; bcd35.parse_ahead)."""
    backend().prepare_build(home, committee_code())


def build(home: Home, run_id: str) -> str:
    """A candidate build; its id (:class:`NothingChanged` when nothing changed)."""
    with writing(home, run_id, "build"):
        return backend().build(home, run_id)


def audit(home: Home, run_id: str, build_id: str) -> dict:
    """The committed suites on the candidate (:class:`AuditFailed` when nothing may be
    published)."""
    with writing(home, run_id, "audit"):
        return backend().audit(home, run_id, build_id)


def publish(home: Home, run_id: str, build_id: str) -> str:
    """Switch analysts to the audited candidate; returns its build id."""
    with writing(home, run_id, "publish"):
        return backend().publish(home, run_id, build_id)
