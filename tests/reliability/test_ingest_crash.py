"""``kill -9`` in the middle of an ingestion loses nothing and doubles nothing
(docs/performance.md).

The ingestion writes originals and raw files first and commits their registry rows a batch
at a time. A run killed after writing the files of a batch but before its commit leaves raw
files no registry row describes; the next run removes them, reads those inbox files again and
loads each exactly once.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files

DEMO = Path(__file__).resolve().parents[2] / "seeds" / "demo" / "inbox"
POINT = "ingest:before_commit"
INGEST = ("import sys; from pathlib import Path; from bcd35.config import Home; "
          "from bcd35.ingest import ingest_inbox; ingest_inbox(Home(Path(sys.argv[1])), 'ham_yen')")


def _raw_files(home: Home) -> dict[str, int]:
    """sha256 → rows in the raw layer (all kinds of the file)."""
    rows: dict[str, int] = {}
    for path in home.raw.rglob("*.parquet"):
        if path.stem != "_empty":
            rows[path.stem] = rows.get(path.stem, 0) + pq.read_metadata(path).num_rows
    return rows


def test_kill_9_before_a_batch_commit_then_the_next_run_loads_each_file_once(tmp_path: Path):
    home = Home(tmp_path / "home")
    shutil.copytree(DEMO, home.inbox / "demo")
    fifo_dir = tmp_path / "failpoints"
    fifo_dir.mkdir()
    os.mkfifo(fifo_dir / f"{POINT}.fifo")
    env = {**os.environ, "BCD35_FAILPOINT": POINT, "BCD35_FAILPOINT_DIR": str(fifo_dir)}
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(home.root)], env=env,
                            start_new_session=True)
    reached = fifo_dir / f"{POINT}.reached"
    deadline = time.monotonic() + 120
    while not reached.exists():  # the process signals by creating the file
        assert proc.poll() is None, "the ingestion ended before its first commit"
        assert time.monotonic() < deadline, "timed out waiting for the failpoint"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)

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
