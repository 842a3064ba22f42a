"""The raw layer's packs (bcd35.ingest.raw): one file per kind and ingestion batch, its source
files listed in its footer, rewritten under a new number without a retracted file's rows."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.raw import (
    RawPacks,
    UnreadableRawFile,
    arrow_schema,
    bytes_table,
    pack_files,
    raw_file_shas,
    raw_files,
    raw_shas,
    read_raw,
    table_bytes,
)

DEMO = Path(__file__).resolve().parents[2] / "seeds" / "demo" / "inbox"
NOW = datetime(2025, 1, 15, 8, 0)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    shutil.copytree(DEMO, home.inbox)
    ingest_inbox(home, "ham_yen", now=NOW)
    return home


def _rows_by_file(home: Home, kind: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sha in read_raw(home, kind).column("_file_sha256").to_pylist():
        counts[sha] = counts.get(sha, 0) + 1
    return counts


def test_one_pack_per_kind_lists_its_files_and_holds_their_rows(home: Home) -> None:
    files = list_files(home)
    for kind in KINDS:
        loaded = {f.sha256: f for f in files if kind in f.kinds}
        packs = raw_files(home, kind)
        assert len(packs) == (1 if loaded else 0), kind  # the demo is one batch
        for pack in packs:
            assert pack.name.startswith("pack-")
            assert set(raw_file_shas(pack)) == set(loaded)
            assert pq.read_schema(pack).remove_metadata().equals(arrow_schema(KINDS[kind]))
            assert set(_rows_by_file(home, kind)) == set(loaded)
    meta = [f for f in files if "meta_posts" in f.kinds]
    assert len(meta) == 4
    assert sum(_rows_by_file(home, "meta_posts").values()) == sum(f.rows for f in meta)


def test_retain_rewrites_a_pack_without_the_files_it_drops(home: Home) -> None:
    [pack] = raw_files(home, "meta_posts")
    shas = raw_file_shas(pack)
    before = _rows_by_file(home, "meta_posts")
    keep = frozenset(raw_shas(home)) - {shas[0]}
    removed = RawPacks(home).retain(keep)
    assert removed == [pack] and not pack.exists()
    [new] = raw_files(home, "meta_posts")
    assert new.name > pack.name  # a new number: never changed in place
    assert raw_file_shas(new) == shas[1:]
    assert _rows_by_file(home, "meta_posts") == {s: n for s, n in before.items() if s != shas[0]}
    # the rows of a file kept are those it had, column for column
    assert read_raw(home, "meta_posts", shas[1]).equals(
        read_raw(home, "meta_posts", shas[1]).select(arrow_schema(KINDS["meta_posts"]).names))


def test_a_rewritten_pack_is_on_disk_before_the_pack_it_replaces_goes(
        home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows retain() moves belong to committed files: a power cut between the two steps
    must find them in the new pack (its data and its name synced) or in the old one."""
    import os

    events: list[tuple[str, str]] = []
    fsync, unlink = os.fsync, Path.unlink

    def spy_fsync(fd: int) -> None:
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        fsync(fd)

    def spy_unlink(path: Path, missing_ok: bool = False) -> None:
        events.append(("unlink", str(path)))
        unlink(path, missing_ok=missing_ok)

    [pack] = raw_files(home, "meta_posts")
    keep = frozenset(raw_shas(home)) - {raw_file_shas(pack)[0]}
    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(Path, "unlink", spy_unlink)
    RawPacks(home).retain(keep)
    [new] = raw_files(home, "meta_posts")
    gone = events.index(("unlink", str(pack)))
    synced = [name for event, name in events[:gone] if event == "fsync"]
    assert any(Path(name).name.startswith(f".{new.name}.") for name in synced)  # its data
    assert str(new.parent) in synced  # its name


def test_retain_keeps_what_it_should_and_removes_packs_of_no_file(home: Home) -> None:
    everything = frozenset(raw_shas(home))
    listing = sorted(p for kind in KINDS for p in raw_files(home, kind))
    assert RawPacks(home).retain(everything) == []
    assert sorted(p for kind in KINDS for p in raw_files(home, kind)) == listing
    assert sorted(RawPacks(home).retain(frozenset())) == listing  # a batch never committed
    assert raw_shas(home) == {}
    assert all((home.raw / kind / "_empty.parquet").exists() for kind in KINDS)


def test_a_single_file_of_the_layout_before_packs_is_read_as_a_pack_of_one(home: Home) -> None:
    [pack] = raw_files(home, "meeting_log")
    sha, *others = raw_file_shas(pack)
    rows = read_raw(home, "meeting_log", sha)
    old = home.raw / "meeting_log" / f"{sha}.parquet"
    pq.write_table(rows, old)
    assert raw_file_shas(old) == [sha] and raw_files(home, "meeting_log") == [old, pack]
    # its rows are in the newer pack too: the pack keeps them, the single file goes
    assert RawPacks(home).retain(frozenset(raw_shas(home))) == [old]
    assert sum(_rows_by_file(home, "meeting_log").values()) == \
        sum(f.rows for f in list_files(home) if "meeting_log" in f.kinds)
    # the layout before packs alone: read, kept, and removed when its file is retracted
    pack.unlink()
    pq.write_table(rows, old)
    assert _rows_by_file(home, "meeting_log") == {sha: rows.num_rows}
    everything = frozenset(raw_shas(home))
    assert sha in everything and not everything & set(others)
    assert RawPacks(home).retain(everything) == []
    assert RawPacks(home).retain(everything - {sha}) == [old] and not old.exists()


def test_packs_are_numbered_after_the_newest(home: Home) -> None:
    [pack] = raw_files(home, "commendation")
    packs = RawPacks(home)
    packs.add("commendation", "e" * 64, read_raw(home, "commendation").slice(0, 0))
    [written] = packs.flush()
    assert written.name > pack.name and raw_file_shas(written) == ["e" * 64]


def test_a_damaged_pack_is_left_alone_and_named(home: Home) -> None:
    [pack] = raw_files(home, "meeting_log")
    pack.chmod(0o644)
    pack.write_bytes(b"not parquet")
    with pytest.raises(UnreadableRawFile, match=str(pack)):
        raw_file_shas(pack)
    removed = RawPacks(home).retain(frozenset())  # every other pack goes, this one stays
    assert removed and pack not in removed and pack.exists()
    with pytest.raises(UnreadableRawFile, match=pack.name):  # the build stops on it, named
        pack_files(home.raw, [f"meeting_log/{pack.name}"])


def test_a_nights_few_new_files_make_one_pack_among_many_unchanged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bcd35.ingest import pipeline

    monkeypatch.setattr(pipeline, "BATCH_FILES", 3)
    home = Home(tmp_path / "home")
    shutil.copytree(DEMO, home.inbox)
    later = [home.inbox / "hoi_nghi_quy4_bosung.csv", home.inbox / "so_theo_doi_hoi_nghi_2024.xlsx"]
    held = tmp_path / "held"
    held.mkdir()
    for path in later:
        path.rename(held / path.name)
    ingest_inbox(home, "ham_yen", now=NOW)
    assert len(raw_files(home, "meta_posts")) == 2  # four files read, three a batch
    assert raw_files(home, "meeting_log") == []
    for path in later:  # the two come back, among nine unchanged files in the walk's order
        (held / path.name).rename(path)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert len(result.loaded) == 2
    [pack] = raw_files(home, "meeting_log")
    assert len(raw_file_shas(pack)) == 2


def test_a_workers_rows_cross_the_pipe_whole_and_only_their_own() -> None:
    """What a worker sends is the table it made, and no more than its rows: a column that is
    a slice of a larger buffer (the columnar reader's, say) does not carry the rest."""
    import pyarrow as pa

    n = 200_000
    big = pa.table({"n": pa.array(range(n)), "s": pa.array([f"x{i}" for i in range(n)])})
    rows = big.slice(1_000, 120)
    data = table_bytes(rows)
    assert bytes_table(data).equals(rows)
    assert len(data) < 10_000 < rows.get_total_buffer_size()  # pickle would send the 200 000


WORKERS_INHERIT = """
import os, sys
from pathlib import Path
os.environ["BCD35_INGEST_WORKERS"] = "2"
from bcd35.ingest import pipeline

def reader(task):
    return "pandas" in sys.modules  # before anything in the worker converts a list

before = "pandas" in sys.modules
tasks = [pipeline._Task(Path(str(n)), str(n), n) for n in range(2 * pipeline.MIN_FILES_PER_WORKER)]
with pipeline._reading(reader, tasks) as reads:
    inherited = list(reads)
print(before, len(inherited), all(inherited))
"""


def test_the_workers_inherit_what_pyarrow_imports_on_its_first_conversion() -> None:
    """pyarrow imports pandas on its first conversion of a Python list (0.3–0.5 s of CPU): the
    ingest converts once before it forks its workers, so that no worker imports it again. In a
    new interpreter, where nothing has imported pandas yet."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", WORKERS_INHERIT], capture_output=True,
                         text=True, check=True, cwd=Path(__file__).resolve().parents[2])
    before, reads, inherited = out.stdout.split()
    assert (before, reads) == ("False", "64")  # the pool ran, from a process without pandas
    assert inherited == "True"


def _tasks(*sizes: int) -> list:
    from bcd35.ingest import pipeline

    return [pipeline._Task(Path(f"f{n}.csv"), f"f{n}.csv", n, size)
            for n, size in enumerate(sizes)]


def test_files_go_to_the_workers_in_chunks_of_a_few_small_files_in_order() -> None:
    """Each message to a worker costs the main process about 0.2 ms of CPU: small files
    travel a few at a time, every file once and in the inbox's order, and no chunk holds more
    than ``CHUNK_BYTES`` unless it is one file alone."""
    from bcd35.ingest import pipeline

    mib = 1024 * 1024
    small = _tasks(*[10_000] * (2 * pipeline.CHUNK_FILES + 3))
    chunks = list(pipeline._chunks(small))
    assert [len(c) for c in chunks] == [pipeline.CHUNK_FILES, pipeline.CHUNK_FILES, 3]
    assert [t for c in chunks for t in c] == small
    sized = _tasks(3 * mib, 2 * mib, 40 * mib, 1, 1, 4 * mib)
    assert [[t.seq for t in c] for c in pipeline._chunks(sized)] == [[0], [1], [2], [3, 4], [5]]
    assert list(pipeline._chunks([])) == []
