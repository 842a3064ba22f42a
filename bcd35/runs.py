"""The run log: one row per nightly run, in the home's SQLite state database.

Each stage of the nightly DAG records itself here, so ``bcd35 status`` and ``bcd35 report``
know how the last runs ended without asking Airflow.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bcd35.config import Home

# status: running → published | audit_failed | build_failed | failed | abandoned (killed)
FAILED_FIGURES = ("audit_failed", "build_failed")

_SCHEMA = """
create table if not exists runs (
    run_id text primary key,
    started_at text not null,
    ended_at text,
    status text not null,
    stage text,
    build_id text,
    failed_checks text,
    message text
)
"""
# columns added after the first release: (name, declaration) for ``alter table``
_ADDED_COLUMNS = (("files", "text"),)


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: str
    ended_at: str | None
    status: str
    stage: str | None
    build_id: str | None
    failed_checks: list[str]
    message: str | None
    # what the ingestion did with each inbox entry: {"loaded"|"quarantined"|"skipped": [...]}
    files: dict | None = None


def _now() -> str:
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _connect(home: Home) -> sqlite3.Connection:
    home.state.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(home.state_db, timeout=30)
    con.execute("pragma journal_mode=wal")
    con.execute(_SCHEMA)
    present = {row[1] for row in con.execute("pragma table_info(runs)")}
    for name, declaration in _ADDED_COLUMNS:
        if name not in present:
            con.execute(f"alter table runs add column {name} {declaration}")
    return con


def start(home: Home, run_id: str) -> None:
    """Record a new run; a run still 'running' was killed (one run at a time): abandoned."""
    with closing(_connect(home)) as con, con:
        con.execute(
            "update runs set status = 'abandoned', ended_at = ? "
            "where status = 'running' and run_id <> ?",
            (_now(), run_id),
        )
        con.execute(
            "insert into runs (run_id, started_at, status, stage) values (?, ?, 'running', "
            "'ingest') on conflict(run_id) do update set status = 'running', ended_at = null",
            (run_id, _now()),
        )


def update(home: Home, run_id: str, **fields: object) -> None:
    for name in ("failed_checks", "files"):
        if name in fields:
            fields[name] = json.dumps(fields[name], ensure_ascii=False)
    if fields.get("status") not in (None, "running"):
        fields.setdefault("ended_at", _now())
    cols = ", ".join(f"{k} = ?" for k in fields)
    with closing(_connect(home)) as con, con:
        con.execute(f"update runs set {cols} where run_id = ?", (*fields.values(), run_id))


@contextmanager
def stage(home: Home, run_id: str, name: str, failed_status: str = "failed") -> Iterator[None]:
    """Record that ``run_id`` is in stage ``name``; a failure ends the run with its reason."""
    update(home, run_id, stage=name)
    try:
        yield
    except Exception as exc:
        fields: dict[str, object] = {"status": failed_status, "message": str(exc)[:4000]}
        checks = getattr(exc, "failed_checks", None)
        if checks:
            fields["failed_checks"] = list(checks)
        update(home, run_id, **fields)
        raise


_SELECT = ("select run_id, started_at, ended_at, status, stage, build_id, failed_checks, "
           "message, files from runs")


def _run(row: tuple) -> Run:
    checks = json.loads(row[6]) if row[6] else []
    files = json.loads(row[8]) if row[8] else None
    return Run(row[0], row[1], row[2], row[3], row[4], row[5], checks, row[7], files)


def abandon_running(home: Home, message: str) -> list[str]:
    """Record every run still 'running' as abandoned (the caller holds the writer lock, so
    none of them is alive): a stopped run is never a failed check."""
    with closing(_connect(home)) as con, con:
        ids = [r[0] for r in con.execute("select run_id from runs where status = 'running'")]
        con.execute("update runs set status = 'abandoned', ended_at = ?, message = ? "
                    "where status = 'running'", (_now(), message))
    return ids


def get(home: Home, run_id: str) -> Run | None:
    with closing(_connect(home)) as con:
        row = con.execute(f"{_SELECT} where run_id = ?", (run_id,)).fetchone()
    return _run(row) if row else None


def recent(home: Home, limit: int = 10) -> list[Run]:
    with closing(_connect(home)) as con:
        rows = con.execute(f"{_SELECT} order by started_at desc, rowid desc limit ?",
                           (limit,)).fetchall()
    return [_run(r) for r in rows]
