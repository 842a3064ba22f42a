"""The benchmark's inbox generator: deterministic, real formats, nothing quarantined."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

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


def test_the_bad_file_loads_and_carries_a_meeting_with_no_attendee(tmp_path):
    """The bad-file night's file is a meeting log that loads (a quarantined file would end the
    night with exit 4, not withhold a partition) into its committee's last year, with 0
    attendees: the blocking check's fault, nothing else."""
    generate.write_committees_csv(tmp_path / "committees.csv", generate.committee_codes(2))
    rel, data = generate.bad_file("bcd_0002")
    assert generate.bad_file("bcd_0002") == (rel, data)  # deterministic
    assert rel.startswith(f"bcd_0002/{generate.LAST_YEAR}/")
    (tmp_path / "inbox" / rel).parent.mkdir(parents=True)
    (tmp_path / "inbox" / rel).write_bytes(data)

    result = ingest_inbox(resolve_home(tmp_path), "ham_yen")
    assert not result.quarantined, result.summary()
    [loaded] = result.loaded
    assert loaded.kinds == ("meeting_log",) and loaded.rows == 1
    [row] = duckdb.sql(f"select _committee_code, ngay, so_dai_bieu from read_parquet("
                       f"'{tmp_path}/raw/meeting_log/*.parquet')").fetchall()
    assert row[0] == "bcd_0002" and row[1].year == generate.LAST_YEAR and row[2] == 0


def test_the_one_row_file_adds_one_meeting_and_corrects_nothing(tmp_path):
    """Night 4's file (the smallest change a night can have) is one valid meeting of the
    committee's last year under a natural key of its own: it loads, and it replaces none of the
    meetings the generated inbox already has."""
    generate.generate(tmp_path, 1, 1, seed=7, processes=1)
    home = resolve_home(tmp_path)
    assert not ingest_inbox(home, "ham_yen").quarantined
    rel, data = generate.one_row_file("bcd_0001", seed=7)
    assert generate.one_row_file("bcd_0001", seed=7) == (rel, data)  # deterministic
    assert rel.startswith(f"bcd_0001/{generate.LAST_YEAR}/")
    (tmp_path / "inbox" / rel).write_bytes(data)

    result = ingest_inbox(home, "ham_yen")
    assert not result.quarantined, result.summary()
    [loaded] = result.loaded
    assert loaded.kinds == ("meeting_log",) and loaded.rows == 1
    rows = duckdb.sql(f"select _file_sha256 = '{loaded.sha256}', so_dai_bieu, ngay, "
                      f"ten_hoi_nghi, don_vi_to_chuc, xa_thi_tran from read_parquet("
                      f"'{tmp_path}/raw/meeting_log/*.parquet', union_by_name = true)").fetchall()
    [(_, delegates, *key)] = [row for row in rows if row[0]]
    assert key[0].year == generate.LAST_YEAR and delegates > 0
    assert key not in [list(row[2:]) for row in rows if not row[0]]  # a meeting's natural key
