"""The benchmark's inbox generator: deterministic, real formats, nothing quarantined."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bcd35.config import resolve_home
from bcd35.ingest import ingest_inbox
from bench import generate
from bench.baselines import csv_groups, run_limit


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_generator_is_deterministic_and_loads_cleanly(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    counts = generate.generate(one, 1, 1, seed=7, processes=1)
    generate.generate(two, 1, 1, seed=7, processes=1)
    assert _digest(one) == _digest(two)
    assert counts["rows"] > 2500

    home = resolve_home(one)
    result = ingest_inbox(home, "ham_yen")
    assert not result.quarantined, result.summary()
    assert sum(f.rows for f in result.loaded) == counts["rows"]
    committees = {f.original_path.split("/")[0] for f in result.loaded}
    assert committees == {"bcd_0001"}


def test_limit_baseline_reads_every_csv(tmp_path):
    generate.generate(tmp_path, 1, 1, seed=7, processes=1)
    groups = csv_groups(tmp_path / "inbox")
    assert all(groups.values())
    assert run_limit(tmp_path / "inbox")["rows"] > 2500
