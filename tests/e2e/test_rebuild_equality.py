"""An incremental night publishes, row for row, the marts of a full rebuild.

Through the real CLI on a copy of the demo home (Hàm Yên, 2023 and 2024): one new meeting of
Hàm Yên 2024 is dropped in and the night publishes; a second night supersedes that file (same
path, new bytes) and withdraws another (deleted from the inbox). Both nights start from the
published build and replace only the raw files that changed (``started_from`` in the
manifest, ``bcd35.warehouse.incremental``), the meetings by key; then ``bcd35 run --force``
rebuilds the same home from scratch (docs/operator.md, ``--force``). Every table of schemas
staging, intermediate and marts must be the same in both published builds, compared by an
order-independent hash of its rows (``tests.support.table_hashes``);
``marts.published_partitions`` names the build each partition comes from, per build by design
(docs/operator.md#checks), so it is compared on each partition's status only. The comparison
is shown to fail on planted differences.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb

from bcd35.config import Home
from bcd35.partitions import Partition, partitioned_tables, published_partitions
from bcd35.warehouse import read_manifest
from bcd35.warehouse.duckdb import DuckDBWarehouse
from bcd35.warehouse.incremental import RawChange, Start, read_inputs
from tests.support import FIXTURES, bcd35, mart_differences, published_target

NEW_MEETING = "meeting_log_one_new_meeting.csv"  # Hàm Yên, 27/11/2024
WITHDRAWN = "demo/hoi_nghi_quy4_bosung.csv"  # 8 meetings of Hàm Yên 2024's fourth quarter
POSTS_CORRECTED = "demo/Oct-01-2024_Dec-31-2024_2387548734888177.csv"
# the posts of March 2024 are in this export and in the Dec–Mar one, which wins without it
POSTS_WITHDRAWN = "demo/Mar-01-2024_Jun-30-2024_2186479349134251.csv"
SHARES_CORRECTED = "demo/chia_se_ctv_6thang_cuoi_2024.csv"
BY_KEY = ("int_posts_deduplicated", "fct_posts", "int_collaborator_shares_deduplicated",
          "fct_collaborator_shares")
MEETINGS_BY_KEY = ("int_meetings_deduplicated", "fct_meetings")


def assert_rebuilt_by_key(home: Path, models: tuple[str, ...]) -> None:
    """The last build's ``models`` read only the rows of the keys that changed
    (dbt_project/macros/changed_keys.sql), as their compiled SQL shows."""
    results = json.loads((home / "dbt" / "target" / "run_results.json").read_text())
    compiled = {r["unique_id"].split(".")[-1]: r.get("compiled_code") or ""
                for r in results["results"] if r["unique_id"].startswith("model.")}
    for model in models:
        assert "from bcd35_changes." in compiled[model], model



def partition_rows(build: Path) -> dict[tuple[str, Partition], list[bytes]]:
    """(table, partition) → the sorted hashes of its rows, for every table of schema marts
    kept per committee and year."""
    out: dict[tuple[str, Partition], list[bytes]] = {}
    with duckdb.connect(str(build), read_only=True) as con:
        for table, how in partitioned_tables(con).items():
            if not how.by_committee:
                continue
            rel = con.sql(f"select * from {table}")
            key = (rel.columns.index("committee_code"), rel.columns.index(how.year_column))
            for row in rel.fetchall():
                part = (row[key[0]], int(row[key[1]]))
                out.setdefault((table, part), []).append(
                    hashlib.sha256(repr(row).encode()).digest())
    return {k: sorted(v) for k, v in out.items()}


def changed_partitions(a: Path, b: Path) -> set[Partition]:
    """The partitions whose rows differ, in any mart, between two builds."""
    ra, rb = partition_rows(a), partition_rows(b)
    return {key[1] for key in ra.keys() | rb.keys() if ra.get(key) != rb.get(key)}


def test_a_night_touching_one_partition_equals_a_full_rebuild(home_copy: Path):
    before = published_target(home_copy)
    shutil.copy(FIXTURES / NEW_MEETING, home_copy / "inbox" / NEW_MEETING)

    night = bcd35(home_copy, "run")
    assert night.returncode == 0, night.stdout + night.stderr
    nightly = published_target(home_copy)
    assert nightly != before
    assert read_manifest(nightly)["started_from"] == before.stem, "an incremental build"
    # that rebuilt only what reads meeting logs (the other kinds' tables are the copy's)
    assert read_manifest(nightly)["rebuilt_kinds"] == ["meeting_log"]
    assert_rebuilt_by_key(home_copy, MEETINGS_BY_KEY)
    # the night did touch exactly one partition, and the comparison sees what it changed
    assert changed_partitions(before, nightly) == {("ham_yen", 2024)}
    assert {"fct_meetings", "mart_kpi_annual"} <= set(mart_differences(before, nightly))

    # supersede the new file (its meeting had 74 delegates, not 73) and withdraw another
    new = home_copy / "inbox" / NEW_MEETING
    new.write_bytes(new.read_bytes().replace(b";73;", b";74;"))
    (home_copy / "inbox" / WITHDRAWN).unlink()
    second = bcd35(home_copy, "run")
    assert second.returncode == 0, second.stdout + second.stderr
    corrected = published_target(home_copy)
    assert read_manifest(corrected)["started_from"] == nightly.stem
    assert read_manifest(corrected)["rebuilt_kinds"] == ["meeting_log"]
    assert_rebuilt_by_key(home_copy, MEETINGS_BY_KEY)
    with duckdb.connect(str(corrected), read_only=True) as con:
        assert con.sql("select n_attendees from marts.fct_meetings "
                       "where meeting_date = '2024-11-27'").fetchall() == [(74,)]
    assert changed_partitions(nightly, corrected) == {("ham_yen", 2024)}
    nightly = corrected

    rebuild = bcd35(home_copy, "run", "--force")
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    full = published_target(home_copy)
    assert full != nightly, "--force published a new build"
    assert nightly.exists(), "the night's build is kept (rollback) beside the rebuild"

    assert read_manifest(full)["started_from"] is None, "--force builds in full"
    assert mart_differences(nightly, full) == []
    assert mart_differences(nightly, full, "staging") == []
    assert mart_differences(nightly, full, "intermediate") == []
    # equal although each build names itself: published_partitions is compared on status
    assert set(published_partitions(nightly).values()) == {("current", nightly.stem)}
    assert set(published_partitions(full).values()) == {("current", full.stem)}


def _rewrite_csv(path: Path, delimiter: str,
                 change: Callable[[list[list[str]]], list[list[str]]]) -> None:
    """A clerk's corrected version of a CSV file: same header, rows changed by ``change``."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(change(rows))
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def _posts_corrected(rows: list[list[str]]) -> list[list[str]]:
    """One post less, another with 5 more reach."""
    header, reach = rows[0], rows[0].index("Reach")
    rows = [header, *rows[2:]]
    rows[1][reach] = str(int(rows[1][reach]) + 5)
    return rows


def _shares_corrected(rows: list[list[str]]) -> list[list[str]]:
    """One share less, another with another reach."""
    rows = [*rows[:4], *rows[5:]]
    rows[2][5] = "1.234"
    return rows


def test_a_night_correcting_posts_and_shares_rebuilds_their_keys_only(home_copy: Path):
    """Posts and shares are rebuilt by natural key on an incremental night
    (dbt_project/macros/changed_keys.sql): a corrected export (a post gone, a value changed),
    a withdrawn one (posts that were in two exports fall back to the other) and a corrected
    share log give the full rebuild's rows in every table of staging, intermediate and
    marts."""
    before = published_target(home_copy)
    inbox = home_copy / "inbox"
    _rewrite_csv(inbox / POSTS_CORRECTED, ",", _posts_corrected)
    _rewrite_csv(inbox / SHARES_CORRECTED, ";", _shares_corrected)
    (inbox / POSTS_WITHDRAWN).unlink()

    night = bcd35(home_copy, "run")
    assert night.returncode == 0, night.stdout + night.stderr
    nightly = published_target(home_copy)
    manifest = read_manifest(nightly)
    assert manifest["started_from"] == before.stem, "an incremental build"
    assert manifest["rebuilt_kinds"] == ["collaborator_shares", "meta_posts"]
    assert_rebuilt_by_key(home_copy, BY_KEY)
    assert {"fct_posts", "fct_collaborator_shares"} <= set(mart_differences(before, nightly))
    with duckdb.connect(str(nightly), read_only=True) as con:
        assert con.sql("select count(*) from information_schema.schemata "
                       "where schema_name = 'bcd35_changes'").fetchone() == (0,), \
            "the changed keys are not part of the build"

    rebuild = bcd35(home_copy, "run", "--force")
    assert rebuild.returncode == 0, rebuild.stdout + rebuild.stderr
    full = published_target(home_copy)
    assert read_manifest(full)["started_from"] is None
    for schema in ("staging", "intermediate", "marts"):
        assert mart_differences(nightly, full, schema) == [], schema


def _planted(build: Path, tmp_path: Path, name: str, sql: str) -> Path:
    copy = tmp_path / f"{name}.duckdb"
    shutil.copy(build, copy)
    with duckdb.connect(str(copy)) as con:
        changed = con.execute(sql).fetchone()[0]
    assert changed == 1, f"the plant {name} changed {changed} rows"
    return copy


def test_the_comparison_reports_a_planted_difference(demo_home: Path, tmp_path: Path):
    build = published_target(demo_home)
    assert mart_differences(build, build) == []
    # the same rows stored in another order are the same table
    reordered = tmp_path / "reordered.duckdb"
    shutil.copy(build, reordered)
    with duckdb.connect(str(reordered)) as con:
        con.execute("create temp table rows as select * from marts.fct_meetings "
                    "order by rowid desc")
        con.execute("delete from marts.fct_meetings")
        con.execute("insert into marts.fct_meetings select * from rows")
    first = "select meeting_id from marts.fct_meetings limit 1"
    with duckdb.connect(str(build), read_only=True) as a, \
            duckdb.connect(str(reordered), read_only=True) as b:
        assert a.sql(first).fetchone() != b.sql(first).fetchone(), "the order did change"
    assert mart_differences(build, reordered) == []

    one_value = _planted(build, tmp_path, "one_value", (
        "update marts.mart_kpi_annual set value = value + 1 where rowid = "
        "(select min(rowid) from marts.mart_kpi_annual where value is not null)"))
    assert mart_differences(build, one_value) == ["mart_kpi_annual"]

    one_row_gone = _planted(build, tmp_path, "one_row_gone", (
        "delete from marts.dim_platform where rowid = (select max(rowid) "
        "from marts.dim_platform)"))
    assert mart_differences(build, one_row_gone) == ["dim_platform"]

    # a partition's status counts; the build id it names does not
    withheld = _planted(build, tmp_path, "withheld", (
        "update marts.published_partitions set status = 'withheld' "
        "where committee_code = 'ham_yen' and year = 2023"))
    assert mart_differences(build, withheld) == ["published_partitions"]
    renamed = _planted(build, tmp_path, "renamed", (
        "update marts.published_partitions set build_id = 'another_build' "
        "where committee_code = 'ham_yen' and year = 2023"))
    assert mart_differences(build, renamed) == []


def test_an_incremental_build_that_skips_a_retraction_is_caught(home_copy: Path):
    """The comparison above fails on planted faults of the incremental build: a change list
    that forgets a withdrawn file, and a build that rebuilds another kind's models than the
    one that changed."""
    before = published_target(home_copy)
    (home_copy / "inbox" / WITHDRAWN).unlink()
    night = bcd35(home_copy, "run")
    assert night.returncode == 0, night.stdout + night.stderr
    # the night's build (incremental, equal to a full build: the test above)
    published = published_target(home_copy)
    # the pack that held the withdrawn file was written again without it
    packs_before, packs_now = read_inputs(before)["files"], read_inputs(published)["files"]
    [gone] = [name for name in packs_before if name not in packs_now]
    kind = gone.split("/")[0]
    [withdrawn] = set(packs_before[gone]) - {sha for shas in packs_now.values() for sha in shas}
    assert (home_copy / "raw" / gone).exists() is False, "its raw rows left the raw layer"

    warehouse = DuckDBWarehouse()
    home = Home(home_copy)
    # the fault: the withdrawn file's rows are not retracted (the change list forgets it)
    warehouse.write_candidate(home, "planted", "ham_yen", Start(before.stem, []))
    planted = warehouse.stem(home, "planted")
    assert "stg_office__meetings" in mart_differences(published, planted, "staging")
    assert "fct_meetings" in mart_differences(published, planted)
    # the same build with the retraction is the full build's
    retraction = [RawChange(kind, "retract", withdrawn, "")]
    warehouse.write_candidate(home, "right", "ham_yen", Start(before.stem, retraction))
    right = warehouse.stem(home, "right")
    assert mart_differences(published, right, "staging") == []
    assert mart_differences(published, right) == []
    # the fault: the build rebuilds the models of another kind than the one that changed
    # (the meetings' models keep the copied build's rows)
    warehouse.write_candidate(home, "wrong_kind", "ham_yen", WrongKind(before.stem, retraction))
    wrong = warehouse.stem(home, "wrong_kind")
    assert "fct_meetings" in mart_differences(published, wrong)


class WrongKind(Start):
    """A start whose selection names a kind that did not change (posts) instead of the
    one that did."""

    def selection(self) -> tuple[str, ...]:
        return ("--select", "source:*.meta_posts+")
