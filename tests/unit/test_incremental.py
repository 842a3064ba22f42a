"""Where an incremental build starts and what it replaces (bcd35.warehouse.incremental)."""

from __future__ import annotations

import csv
from pathlib import Path

from bcd35.warehouse.incremental import (
    RawChange,
    Start,
    raw_changes,
    read_inputs,
    start_from,
    write_changes,
    write_inputs,
)

A, B, C = "a" * 64, "b" * 64, "c" * 64
RAW = Path("/home/raw")


def test_new_gone_and_rewritten_files_and_nothing_else() -> None:
    previous = {f"meeting_log/{A}.parquet": (10, 1), f"meeting_log/{B}.parquet": (20, 2),
                f"meta_posts/{C}.parquet": (30, 3), "meeting_log/_empty.parquet": (5, 1)}
    current = {f"meeting_log/{A}.parquet": (10, 1),        # the same: nothing
               f"meta_posts/{C}.parquet": (30, 4),         # rewritten (mtime): out and in
               f"commendation/{A}.parquet": (7, 9),        # new
               "meeting_log/_empty.parquet": (5, 2)}       # the types file: never
    # B is gone
    assert raw_changes(previous, current, RAW, {}, {}) == [
        RawChange("commendation", "add", A, f"{RAW}/commendation/{A}.parquet"),
        RawChange("meeting_log", "retract", B, ""),
        RawChange("meta_posts", "retract", C, ""),
        RawChange("meta_posts", "add", C, f"{RAW}/meta_posts/{C}.parquet"),
    ]
    assert raw_changes(current, current, RAW, {}, {}) == []


def test_a_pack_gone_or_new_retracts_or_adds_each_of_its_files() -> None:
    p1, p2, p3 = (f"meeting_log/pack-{n:08d}.parquet" for n in (1, 2, 3))
    previous = {p1: (10, 1), p2: (20, 2), f"meeting_log/{C}.parquet": (5, 5)}
    # p2 was written again without B (withdrawn) as p3; p1 and the single file C are the same
    current = {p1: (10, 1), p3: (15, 3), f"meeting_log/{C}.parquet": (5, 5)}
    D = "d" * 64  # noqa: N806
    files_before = {p1: [A], p2: [B, D]}
    files_now = {p1: [A], p3: [D]}
    assert raw_changes(previous, current, RAW, files_before, files_now) == [
        RawChange("meeting_log", "retract", B, ""),
        RawChange("meeting_log", "retract", D, ""),
        RawChange("meeting_log", "add", D, f"{RAW}/{p3}"),
    ]
    # a pack the previous build read without recording its files: no incremental build
    assert raw_changes(previous, current, RAW, {p1: [A]}, files_now) is None


def test_a_listing_read_back_from_json_compares_equal() -> None:
    listing = {f"meeting_log/{A}.parquet": (10, 1)}
    as_json = {f"meeting_log/{A}.parquet": [10, 1]}  # what inputs.json gives back
    assert raw_changes(as_json, listing, RAW, {}, {}) == []


def test_a_build_starts_from_the_published_one_only_with_the_same_base(tmp_path) -> None:
    published = tmp_path / "b1.duckdb"
    assert start_from(published, "base", forced=False) is None  # no build yet
    published.write_bytes(b"")
    assert start_from(published, "base", forced=False) is None  # built before inputs.json
    write_inputs(published, "base", {f"meeting_log/{A}.parquet": (10, 1)}, {}, None)
    assert read_inputs(published)["started_from"] is None
    pack = "meeting_log/pack-00000001.parquet"
    write_inputs(published, "base", {pack: (10, 1)}, {pack: [A, B]}, None)
    assert read_inputs(published)["files"] == {pack: [A, B]}
    write_inputs(published, "base", {f"meeting_log/{A}.parquet": (10, 1)}, {}, None)
    assert start_from(published, "base", forced=False)["raw"] == {
        f"meeting_log/{A}.parquet": [10, 1]}
    assert start_from(published, "other code", forced=False) is None
    assert start_from(published, "base", forced=True) is None
    assert start_from(None, "base", forced=False) is None


def test_the_change_list_dbt_reads(tmp_path) -> None:
    path = write_changes(tmp_path / "raw_changes.csv",
                         [RawChange("meeting_log", "retract", B, "")])
    with path.open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["kind", "action", "sha256", "path"],
                                        ["meeting_log", "retract", B, ""]]
    with write_changes(path, []).open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["kind", "action", "sha256", "path"]]
    # a narrowed build says so (dbt_project/macros/changed_keys.sql), an empty one cannot be
    with write_changes(path, [RawChange("meeting_log", "retract", B, "")],
                       narrow=True).open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh))[1:] == [["meeting_log", "retract", B, ""],
                                            ["", "narrow", "", ""]]
    with write_changes(path, [], narrow=True).open(newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["kind", "action", "sha256", "path"]]


def test_a_build_rebuilds_what_reads_the_changed_kinds() -> None:
    changes = raw_changes({f"meeting_log/{A}.parquet": (10, 1)},
                          {f"meeting_log/{A}.parquet": (10, 2), f"meta_posts/{B}.parquet": (1, 1)},
                          RAW, {}, {})
    start = Start("published", changes)
    assert start.kinds == ["meeting_log", "meta_posts"]
    assert start.selection() == ("--select", "source:*.meeting_log+", "source:*.meta_posts+")
    # after a night that withheld partitions, or with no kind changed: every node
    assert Start("published", changes, narrow=False).selection() == ()
    assert Start("published", []).selection() == ()
