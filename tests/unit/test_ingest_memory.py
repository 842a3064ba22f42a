"""Reading a file keeps nothing of it (docs/performance.md#memory).

An ingest worker reads thousands of files. The check for garbled UTF-8 ran on each file's whole
text through a cache meant for cells, so every text read stayed in memory: 1.4 GiB a worker
at national scale. Reading 40 files of 30 000 characters must now leave almost nothing (under
a tenth of their texts' size) behind; the planted fault (the file check through a cache
again) shows the measure failing.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from functools import lru_cache

import pytest

from bcd35.ingest import reading
from bcd35.vietnamese import find_mojibake

N_FILES = 40
LINES = 600  # ≈ 30 000 characters a file


def _csv(number: int) -> bytes:
    lines = ["Ngày họp;Nội dung;Số đại biểu"]
    lines += [f"05/03/2024;Hội nghị số {number}-{i} của Ban Chỉ đạo;{i}" for i in range(LINES)]
    return "\n".join(lines).encode("utf-8")


def _retained_bytes() -> int:
    """Memory still allocated after reading N_FILES distinct files and dropping the result."""
    files = [_csv(n) for n in range(N_FILES)]
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for data in files:
            sheets = reading.read_sheets(data, lambda cells: len(cells) == 3)
            assert len(sheets[0].rows) == LINES + 1
            del sheets
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return after - before


def _texts_bytes() -> int:
    """What the N_FILES decoded texts take as Python strings (≈ 2.4 MB)."""
    return sum(sys.getsizeof(_csv(n).decode("utf-8")) for n in range(N_FILES))


def test_reading_files_keeps_none_of_them():
    assert _retained_bytes() < _texts_bytes() / 10


def test_planted_fault_a_cache_of_whole_texts(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reading, "find_mojibake", lru_cache(maxsize=1 << 16)(find_mojibake))
    assert _retained_bytes() > _texts_bytes() * 0.9
