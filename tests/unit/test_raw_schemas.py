"""Every raw file of a kind has the kind's current schema, so DuckDB reads the kind's files
without ``union_by_name`` (bcd35.ingest.raw.migrate_raw_schemas): a file written before a
release changed a raw column is rewritten once, by the next ingest or build."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from bcd35.config import Home
from bcd35.ingest import arrow_schema, ensure_raw_schemas, ingest_inbox, migrate_raw_schemas
from bcd35.ingest import raw as raw_module
from bcd35.ingest.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ingest"
SOURCES = ROOT / "dbt_project" / "models" / "staging" / "meta" / "_meta__sources.yml"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    shutil.copyfile(FIXTURES / "meta_posts_english_ui.csv", _inbox(home) / "posts.csv")
    assert len(ingest_inbox(home, "ham_yen").loaded) == 1
    return home


def _inbox(home: Home) -> Path:
    home.inbox.mkdir(parents=True, exist_ok=True)
    return home.inbox


def _posts(home: Home) -> Path:
    (path,) = [p for p in (home.raw / "meta_posts").glob("*.parquet")
               if p.name != raw_module.EMPTY_FILE]
    return path


def _age(path: Path) -> pq.Table:
    """Rewrite a raw file as a release before ``_year`` and with a column since removed."""
    import pyarrow as pa

    table = pq.read_table(path).drop_columns(["_year"])
    table = table.append_column("retired_column", pa.array(["x"] * table.num_rows))
    pq.write_table(table, path)
    return table


def _read_as_dbt(home: Home) -> list[tuple]:
    """The rows of ``raw/meta_posts`` read as the dbt source reads them (its
    ``external_location``, without ``union_by_name``)."""
    text = SOURCES.read_text(encoding="utf-8")
    location = re.search(r'external_location: "(.*)"', text)[1]
    location = (location.replace("{{ env_var('BCD35_RAW_DIR') }}", str(home.raw))
                .replace("{name}", "meta_posts"))
    assert "union_by_name" not in location
    with duckdb.connect() as con:
        return con.sql(f"select post_id, publish_time, _year from {location} "
                       "order by post_id").fetchall()


def test_a_file_of_an_older_schema_is_rewritten_and_read_without_union(home: Home) -> None:
    before = _read_as_dbt(home)
    assert before and all(year == published.year for _, published, year in before)
    old = _age(_posts(home))
    with pytest.raises(duckdb.Error):  # what the build would meet without the migration
        _read_as_dbt(home)
    (home.state / "raw_schemas.json").unlink()  # the release changed the schema

    assert migrate_raw_schemas(home) == [_posts(home)]
    migrated = pq.read_table(_posts(home))
    assert migrated.schema.equals(arrow_schema(KINDS["meta_posts"]))
    assert migrated.column("post_id").to_pylist() == old.column("post_id").to_pylist()
    assert _read_as_dbt(home) == before  # _year computed from the publish time, as ingested


def test_the_schemas_are_checked_once_per_release(home: Home) -> None:
    marker = home.state / "raw_schemas.json"
    assert json.loads(marker.read_text()) == {k.name: str(arrow_schema(k)) for k in
                                             KINDS.values()}
    _age(_posts(home))
    # the marker says every file has the current schema: no file is opened
    assert migrate_raw_schemas(home) == []
    marker.write_text(json.dumps({"meta_posts": "an older schema"}))
    assert migrate_raw_schemas(home) == [_posts(home)]
    assert migrate_raw_schemas(home) == []


def test_a_stopped_migration_is_finished_by_the_next_run(home: Home, monkeypatch) -> None:
    shutil.copyfile(FIXTURES / "collaborator_shares.csv", _inbox(home) / "shares.csv")
    assert len(ingest_inbox(home, "ham_yen").loaded) == 1
    (shares,) = [p for p in (home.raw / "collaborator_shares").glob("*.parquet")
                 if p.name != raw_module.EMPTY_FILE]
    for path in (_posts(home), shares):
        table = pq.read_table(path).drop_columns(["_year"])
        pq.write_table(table, path)
    (home.state / "raw_schemas.json").unlink()

    real = raw_module._write_atomic
    calls = []

    def stopped_after_one(table, path):
        if calls:
            raise KeyboardInterrupt
        calls.append(path)
        real(table, path)

    monkeypatch.setattr(raw_module, "_write_atomic", stopped_after_one)
    with pytest.raises(KeyboardInterrupt):
        migrate_raw_schemas(home)
    assert not (home.state / "raw_schemas.json").exists()
    monkeypatch.setattr(raw_module, "_write_atomic", real)
    assert migrate_raw_schemas(home) == [p for p in (shares, _posts(home)) if p not in calls]
    for path in (_posts(home), shares):
        assert pq.read_schema(path).names == [n for n, _ in KINDS[path.parent.name].schema()]


def test_the_ingest_migrates_before_it_loads(home: Home) -> None:
    _age(_posts(home))
    (home.state / "raw_schemas.json").unlink()
    ensure_raw_schemas(home)  # the zero-row files alone do not make the layer current
    with pytest.raises(duckdb.Error):
        _read_as_dbt(home)
    ingest_inbox(home, "ham_yen")  # nothing new in the inbox
    assert len(_read_as_dbt(home)) == 3
