"""The ingest reads its settings once per run, not once per file (docs/performance.md).

Building the settings from the environment (pydantic-settings: every field, the environment,
the .env file) takes about 7 ms; the ingest built them again for every file it read, a third
of a small file's time. The number of times the settings are built must not grow with the
number of files; the planted fault (the reader asking for them again per file) shows the
count growing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bcd35.config import Home
from bcd35.ingest import pipeline
from bcd35.settings import Settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ingest" / "meeting_log_comma.csv"
NOW = datetime(2025, 3, 1, 2, 30)


def _settings_built(tmp_path: Path, n_files: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times the settings were built while ingesting an inbox of ``n_files``."""
    home = Home(tmp_path / f"home{n_files}")
    data = FIXTURE.read_bytes()
    for i in range(n_files):  # distinct bytes: each file is read and loaded
        target = home.inbox / f"hoi_nghi_{i}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data + b"\n" * i)
    built = [0]
    original = Settings.__init__

    def counted(self, *args, **kwargs):
        built[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setenv("BCD35_INGEST_WORKERS", "1")  # read inline: every call is counted here
    with monkeypatch.context() as patch:
        patch.setattr(Settings, "__init__", counted)
        result = pipeline.ingest_inbox(home, "ham_yen", now=NOW)
    assert len(result.loaded) == n_files
    return built[0]


def test_settings_are_built_once_per_run_not_per_file(tmp_path, monkeypatch):
    assert _settings_built(tmp_path, 2, monkeypatch) == _settings_built(tmp_path, 12, monkeypatch)


def test_planted_fault_settings_read_for_every_file(tmp_path, monkeypatch):
    analyse = pipeline.analyse

    def per_file(data, ctx, columnar):
        return analyse(data, ctx, columnar=pipeline.columnar_ingest())

    monkeypatch.setattr(pipeline, "analyse", per_file)
    few = _settings_built(tmp_path, 2, monkeypatch)
    assert _settings_built(tmp_path, 12, monkeypatch) - few == 10
