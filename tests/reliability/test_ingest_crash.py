"""``kill -9`` in the middle of an ingestion loses nothing and doubles nothing
(docs/performance.md).

The ingestion writes originals and the packs of raw rows first and commits their registry
rows a batch at a time. A run killed after writing the packs of a batch but before its commit
leaves packs whose files no registry row describes; the next run removes them, reads those
inbox files again and loads each exactly once. A run killed while it writes a pack again
without a retracted file's rows (the new pack written, the old one not yet removed) leaves
the other files' rows twice on disk; the next run keeps the newer copy only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.raw import raw_files, read_raw

DEMO = Path(__file__).resolve().parents[2] / "seeds" / "demo" / "inbox"
POINT = "ingest:before_commit"
INGEST = ("import sys; from pathlib import Path; from bcd35.config import Home; "
          "from bcd35.ingest import ingest_inbox; ingest_inbox(Home(Path(sys.argv[1])), 'ham_yen')")


def _raw_files(home: Home) -> dict[str, int]:
    """sha256 → rows in the raw layer (all kinds of the file)."""
    rows: dict[str, int] = {}
    for kind in KINDS:
        for sha in read_raw(home, kind).column("_file_sha256").to_pylist():
            rows[sha] = rows.get(sha, 0) + 1
    return rows


def _kill_at(point: str, home: Home, tmp_path: Path) -> None:
    """Run an ingestion of ``home`` in a process of its own and ``kill -9`` it at ``point``."""
    fifo_dir = tmp_path / f"failpoints-{point.replace(':', '-')}"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / f"{point}.fifo")
    env = {**os.environ, "BCD35_FAILPOINT": point, "BCD35_FAILPOINT_DIR": str(fifo_dir)}
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(home.root)], env=env,
                            start_new_session=True)
    reached = fifo_dir / f"{point}.reached"
    deadline = time.monotonic() + 120
    while not reached.exists():  # the process signals by creating the file
        assert proc.poll() is None, f"the ingestion ended before {point}"
        assert time.monotonic() < deadline, "timed out waiting for the failpoint"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


def test_kill_9_before_a_batch_commit_then_the_next_run_loads_each_file_once(tmp_path: Path):
    home = Home(tmp_path / "home")
    shutil.copytree(DEMO, home.inbox / "demo")
    _kill_at(POINT, home, tmp_path)

    written = _raw_files(home)
    assert written, "the killed run had written raw files"
    assert list_files(home) == [], "nothing was committed"

    result = ingest_inbox(home, "ham_yen")
    files = list_files(home)
    inbox = sorted(p for p in home.inbox.rglob("*") if p.is_file())
    assert len(result.loaded) == len(files) == len(inbox)
    loaded = {f.sha256: f.rows for f in files}
    raw = _raw_files(home)
    assert {sha for sha in raw} == set(loaded)  # no orphan, nothing missing
    assert sum(raw.values()) == sum(loaded.values())
    assert len({f.ingest_seq for f in files}) == len(files)


def test_kill_9_while_a_pack_is_written_again_keeps_each_files_rows_once(tmp_path: Path):
    home = Home(tmp_path / "home")
    shutil.copytree(DEMO, home.inbox / "demo")
    ingest_inbox(home, "ham_yen")
    before = _raw_files(home)
    [pack] = raw_files(home, "meta_posts")  # the four Meta exports, one batch: one pack
    gone = sorted((home.inbox / "demo").glob("*_*_*.csv"))[0]  # one Meta export
    gone_sha = next(f.sha256 for f in list_files(home) if f.original_name == gone.name)
    gone.unlink()

    _kill_at("raw:rewritten", home, tmp_path)
    # the new pack is written, the old one is still there: three files' rows twice on disk
    assert pack.exists() and len(raw_files(home, "meta_posts")) == 2

    ingest_inbox(home, "ham_yen")
    [file] = [f for f in list_files(home) if f.sha256 == gone_sha]
    assert file.state == "withdrawn"
    [left] = raw_files(home, "meta_posts")
    assert left != pack
    assert _raw_files(home) == {sha: rows for sha, rows in before.items() if sha != gone_sha}
