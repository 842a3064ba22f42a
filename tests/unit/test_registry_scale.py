"""The registry's work per file does not grow with the registry: every statement the ingest
runs once per file finds its rows through an index (a full scan per file is quadratic: at
national, 48 300 files, the supersede lookup alone scanned the sightings for 5.5 ms a file at
the end of the night, two minutes of the ingest's main process)."""

from __future__ import annotations

import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
FILES = ("meeting_log_comma.csv", "bulletin_issue_vn_numbers.csv",
         "bulletin_distribution.csv", "meta_posts_english_ui.csv", "collaborator_shares.csv")


class _Recording(sqlite3.Connection):
    calls: dict[str, list[tuple]] = defaultdict(list)

    def execute(self, sql, parameters=(), /):
        _Recording.calls[" ".join(sql.split())].append(parameters)
        return super().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        many = list(seq_of_parameters)  # one statement, run once for each set of parameters
        _Recording.calls[" ".join(sql.split())].extend(many)
        return super().executemany(sql, many)


@pytest.fixture
def statements(tmp_path: Path, monkeypatch) -> tuple[Home, dict[str, list[tuple]]]:
    """Every statement of two ingests (new files, then the same files again and one moved)
    with its parameters."""
    real = sqlite3.connect
    _Recording.calls = defaultdict(list)
    monkeypatch.setattr(registry.sqlite3, "connect",
                        lambda *a, **k: real(*a, factory=_Recording, **k))
    home = Home(tmp_path / "home")
    home.inbox.mkdir(parents=True)
    for name in FILES:
        shutil.copyfile(FIXTURES / name, home.inbox / name)
    assert len(ingest_inbox(home, "ham_yen").loaded) == len(FILES)
    (home.inbox / FILES[0]).rename(home.inbox / f"moved_{FILES[0]}")
    ingest_inbox(home, "ham_yen")
    monkeypatch.undo()
    return home, _Recording.calls


def test_every_statement_run_per_file_uses_an_index(statements) -> None:
    home, calls = statements
    per_file = {sql: params for sql, params in calls.items() if len(params) >= len(FILES)}
    assert any("file_sightings" in sql and sql.startswith("select") for sql in per_file)
    # the files seen unchanged (four) and the moved one: last_seen written for each, through
    # the batched statement (checked for an index below like the others)
    assert any(sql.startswith("update ingested_files set last_seen") for sql in per_file)
    scans = {}
    with sqlite3.connect(home.state_db) as conn:
        for sql, params in per_file.items():
            plan = [row[3] for row in conn.execute(f"explain query plan {sql}", params[0])]
            full = [step for step in plan if step.startswith("SCAN")]
            if full:
                scans[sql] = full
    assert not scans, "statements run once per file that read a whole table:\n" + "\n".join(
        f"  {sql}\n    {steps}" for sql, steps in scans.items())
