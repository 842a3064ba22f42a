"""The benchmark's ingest timer sees the result of the night's own ingest stage.

``bench.run.IngestTimer`` wraps the ``ingest_inbox`` that ``bcd35.nightly.ingest`` calls; when
that function stops calling it by the wrapped name, the timer sees nothing and every benchmark
night fails (the ingest record has no rows). Here on a home of one file, the bad-file night's.
"""

from __future__ import annotations

from bcd35 import nightly
from bcd35.config import resolve_home
from bench import generate
from bench.run import IngestTimer


def test_the_ingest_timer_sees_the_nights_ingest(tmp_path):
    generate.write_committees_csv(tmp_path / "committees.csv", generate.committee_codes(1))
    rel, data = generate.bad_file("bcd_0001")
    (tmp_path / "inbox" / rel).parent.mkdir(parents=True)
    (tmp_path / "inbox" / rel).write_bytes(data)
    timer, record = IngestTimer(), {}

    with timer.installed():
        nightly.ingest(resolve_home(tmp_path), "bench_test")

    assert timer.result is not None, "the timer did not see the stage's ingest"
    timer.record(record, 1.0)
    assert record["rows"] == 1 and record["files_loaded"] == 1
    assert record["files_quarantined"] == 0 and record["csv_bytes"] == len(data)
