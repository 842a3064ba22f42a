"""Ingest at scale (docs/performance.md): unchanged files are not read again, workers change
nothing.

A file loaded before whose ``lstat`` (size, mtime, ctime, inode) is unchanged is skipped
without being read; any rewrite — even one that keeps size and mtime — is read again. Reading
in worker processes gives the same registry and raw layer as reading inline. Raw files of no
registered file (a run killed before its batch was committed) are removed.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files, pipeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
DEMO = Path(__file__).resolve().parents[2] / "seeds" / "demo" / "inbox"
NOW = datetime(2025, 3, 1, 2, 30)
LATER = datetime(2025, 3, 2, 2, 30)
BAD = ("meeting_log_bad_values.csv", "meta_posts_enotation_ids.csv", "empty.csv",
       "meeting_log_mojibake_utf8.csv", "commendation_wrong_types_unknown_values.csv")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.inbox.mkdir(parents=True)
    return home


class ReadSpy:
    """Counts the files the ingestion opens for reading (inline reading only)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = pipeline.read_regular_file
        monkeypatch.setenv("BCD35_INGEST_WORKERS", "1")

        def spy(path: Path, limit: int):
            self.paths.append(path.name)
            return real(path, limit)

        monkeypatch.setattr(pipeline, "read_regular_file", spy)


def test_an_unchanged_loaded_file_is_not_read_again(home: Home, monkeypatch) -> None:
    shutil.copyfile(FIXTURES / "meeting_log_comma.csv", home.inbox / "a.csv")
    shutil.copyfile(FIXTURES / "meeting_log_bad_values.csv", home.inbox / "bad.csv")
    spy = ReadSpy(monkeypatch)
    first = ingest_inbox(home, "ham_yen", NOW)
    assert (len(first.loaded), len(first.quarantined)) == (1, 1)
    assert sorted(spy.paths) == ["a.csv", "bad.csv"]

    spy.paths.clear()
    second = ingest_inbox(home, "ham_yen", LATER)
    # the loaded file is skipped unread; a quarantined file is looked at again every run
    assert spy.paths == ["bad.csv"]
    assert {f.original_path for f in second.skipped} == {"a.csv", "bad.csv"}
    [loaded] = list_files(home, "loaded")
    assert loaded.last_seen == LATER  # still seen, without being read


def test_a_rewrite_keeping_size_and_mtime_is_read_again(home: Home, monkeypatch) -> None:
    target = home.inbox / "a.csv"
    shutil.copyfile(FIXTURES / "meeting_log_comma.csv", target)
    spy = ReadSpy(monkeypatch)
    ingest_inbox(home, "ham_yen", NOW)
    before = target.stat()
    data = target.read_bytes()
    changed = data.replace(b"2024", b"2023", 1)
    assert changed != data and len(changed) == len(data)
    target.write_bytes(changed)  # same size; the clock put back to hide it
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_mtime_ns == before.st_mtime_ns

    spy.paths.clear()
    result = ingest_inbox(home, "ham_yen", LATER)
    assert spy.paths == ["a.csv"]  # the ctime gave it away
    assert [f.original_path for f in result.loaded + result.quarantined] == ["a.csv"]
    assert len(list_files(home)) == 2


def _snapshot(home: Home) -> tuple[list[tuple], dict[str, list[dict]]]:
    files = [(f.sha256, f.original_path, f.status, f.ingest_seq, f.rows, f.error_count,
              f.reason, f.kinds) for f in list_files(home)]
    raw = {str(p.relative_to(home.raw)): pq.read_table(p).drop(["_loaded_at"]).to_pylist()
           for p in sorted(home.raw.rglob("*.parquet"))}
    return files, raw


def _mixed_inbox(home: Home) -> None:
    shutil.copytree(DEMO, home.inbox / "demo")
    for name in BAD:
        shutil.copyfile(FIXTURES / name, home.inbox / name)
    for name in ("meeting_log_comma.csv", "meta_posts_english_ui.csv"):
        shutil.copyfile(FIXTURES / name, home.inbox / f"copy_{name}")  # same bytes twice


class CountingPool(ProcessPoolExecutor):
    """The real pool, counting the files it is given (the inline fallback gets none)."""

    submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        if fn is pipeline._read_in_worker:
            CountingPool.submitted += len(args[0])  # a chunk of files
        return super().submit(fn, *args, **kwargs)


def test_worker_processes_give_the_same_result_as_inline(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "MIN_FILES_PER_WORKER", 1)
    monkeypatch.setattr(pipeline, "ProcessPoolExecutor", CountingPool)
    results = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("BCD35_INGEST_WORKERS", workers)
        home = Home(tmp_path / f"w{workers}")
        home.inbox.mkdir(parents=True)
        _mixed_inbox(home)
        (home.root / "secrets").mkdir()
        result = ingest_inbox(home, "ham_yen", NOW)
        results[workers] = (_snapshot(home), result.summary().replace(str(home.root), "HOME"))
    read_by_workers = CountingPool.submitted
    assert read_by_workers == len(list((tmp_path / "w2" / "inbox").rglob("*.*")))
    assert results["1"] == results["2"]
    (files, raw), _ = results["2"]
    assert {f[2] for f in files} == {"loaded", "quarantined"}
    assert len(raw) > 10


def test_raw_files_of_no_registered_file_are_removed(home: Home) -> None:
    shutil.copyfile(FIXTURES / "meeting_log_comma.csv", home.inbox / "a.csv")
    ingest_inbox(home, "ham_yen", NOW)
    [raw] = [p for p in (home.raw / "meeting_log").glob("*.parquet") if p.stem != "_empty"]
    orphan = raw.with_name("f" * 64 + ".parquet")  # left by a run killed before its commit
    shutil.copyfile(raw, orphan)
    ingest_inbox(home, "ham_yen", LATER)
    assert raw.exists() and not orphan.exists()
