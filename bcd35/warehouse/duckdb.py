"""The embedded engine: each build is a new DuckDB file, published by an atomic symlink switch.

``Home.published`` (``warehouse/bcd35.duckdb``) is a symlink to ``builds/<build_id>.duckdb``.
The switch replaces the symlink with ``os.replace`` (atomic on POSIX): a reader that already
has the old build open keeps it until it reconnects, a new reader gets the new one, nobody
ever sees a half-written file, and the writer never waits for a reader. The builds in force
are listed in ``warehouse/published.json`` (oldest first) for ``rollback``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import duckdb

from bcd35.audit import AuditResult, audit_candidate
from bcd35.audit.scope import FULL, Reuse
from bcd35.audit.tables import write_duckdb
from bcd35.config import Home
from bcd35.durable import sync_directory
from bcd35.partitions import Withheld, keep_withheld
from bcd35.settings import settings
from bcd35.warehouse.base import Warehouse, source_counts_sql
from bcd35.warehouse.dbt import dbt_env, run_build, start_parse_ahead, usable_cores
from bcd35.warehouse.errors import BuildFailed, PublishRefused
from bcd35.warehouse.incremental import RAW_CHANGES_ENV, Start, write_changes

#: DuckDB's memory limit for the build (dbt_project/profiles.yml), overridable per machine:
#: with 2GB the dbt process peaks at 2.6 GiB at province scale; at national scale it grows to
#: 5.1 GiB, past the limit (docs/performance.md). The setting is handed to dbt here.
DUCKDB_MEMORY_LIMIT_ENV = "BCD35_DUCKDB_MEMORY_LIMIT"
#: what an incremental build leaves out of ``dbt build`` (besides the unit tests no night runs)
INCREMENTAL_EXCLUDES = ("--exclude-resource-type", "seed")


class DuckDBWarehouse(Warehouse):
    name = "duckdb"
    incremental = True

    def artifacts(self, home: Home) -> Path:
        return home.builds

    # --- what analysts read ----------------------------------------------------------------

    def published_build(self, home: Home) -> Path | None:
        link = home.published
        if not link.is_symlink():
            return None
        return (link.parent / os.readlink(link)).resolve()

    def published_id(self, home: Home) -> str | None:
        build = self.published_build(home)
        return build.stem if build is not None else None

    def history(self, home: Home) -> list[str]:
        path = _stack_file(home)
        names = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
        return [Path(name).stem for name in names]

    def set_history(self, home: Home, build_ids: list[str]) -> None:
        path = _stack_file(home)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([f"{b}.duckdb" for b in build_ids], indent=1),
                       encoding="utf-8")
        os.replace(tmp, path)

    def build_ids(self, home: Home) -> list[str]:
        return sorted(p.stem for p in home.builds.glob("*.duckdb"))

    def exists(self, home: Home, build_id: str) -> bool:
        return self.stem(home, build_id).exists()

    # --- write and audit ---------------------------------------------------------------------

    def dbt_env(self, home: Home, candidate: Path, committee: str) -> dict[str, str]:
        """dbt's environment for a build into ``candidate``: the resources DuckDB may use
        (the settings, else one thread per usable core)."""
        cores = str(usable_cores())
        current = settings()
        return dbt_env(home, committee, {
            DUCKDB_MEMORY_LIMIT_ENV: current.duckdb_memory_limit,
            "BCD35_DUCKDB_THREADS": str(current.duckdb_threads or cores),
            "BCD35_DBT_THREADS": str(current.dbt_threads or cores),
            "BCD35_CANDIDATE_PATH": str(candidate),
        })

    def build_env(self, home: Home, committee: str) -> dict[str, str]:
        """The environment of the home's dbt build: the same every night (the building path,
        the change list's path), so dbt's parse of one night serves the next."""
        env = self.dbt_env(home, building_path(home), committee)
        env[RAW_CHANGES_ENV] = str(changes_path(home))
        return env

    def prepare_build(self, home: Home, committee: str) -> None:
        start_parse_ahead(home, self.build_env(home, committee), "duckdb")

    def write_candidate(self, home: Home, build_id: str, committee: str,
                        start: Start | None = None) -> None:
        home.ensure()
        candidate = self.stem(home, build_id)
        if candidate.exists():
            raise FileExistsError(f"candidate {candidate} exists already: build ids are "
                                  "single-use")
        # dbt builds at one fixed path, renamed to the build's when it succeeds: the path is
        # part of dbt's profile, and a profile that changes every night costs dbt a full parse
        # of the project (about 4 s) where a partial parse reuses the last one
        building = building_path(home)
        building.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)  # a build killed before it finished
        env = self.build_env(home, committee)
        if start is not None:
            # the published build as the candidate's first state (a file analysts read only:
            # copying it does not block them, and they never see the copy)
            shutil.copyfile(self.stem(home, start.build_id), building)
        # always the same file (a full build lists nothing): dbt parses the same project
        write_changes(changes_path(home), start.changes if start else [],
                      narrow=bool(start and start.selection()))
        # an incremental build has the code, the reference data and so the seeds of the build
        # it copies: it loads no seed again; it rebuilds and tests what reads a changed kind
        # of raw file
        extra = () if start is None else (*INCREMENTAL_EXCLUDES, *start.selection())
        try:
            run_build(home, candidate, env, "duckdb", *extra)
        finally:
            # a failed build too is kept under its id, for inspection (pruned as before); its
            # WAL goes with it, so the check below and publish's refuse it
            for part in ("", ".wal"):
                built = building.with_name(building.name + part)
                if built.exists():
                    os.replace(built, candidate.with_name(candidate.name + part))
        wal = candidate.with_name(candidate.name + ".wal")
        if wal.exists():
            raise BuildFailed(candidate, [f"{wal.name} left behind: the build did not "
                                          "checkpoint"])

    def validate(self, home: Home, build_id: str, previous: str | None, data_docs: Path,
                 names: dict[str, str], reuse: Reuse = FULL) -> AuditResult:
        return audit_candidate(self.stem(home, build_id),
                               previous=self.stem(home, previous) if previous else None,
                               data_docs=data_docs, file_names=names, reuse=reuse)

    def source_counts(self, home: Home, build_id: str) -> list[tuple[str, str, int]]:
        with duckdb.connect(str(self.stem(home, build_id)), read_only=True) as con:
            return [tuple(r) for r in con.sql(source_counts_sql("staging")).fetchall()]

    def write_audit_tables(self, home: Home, build_id: str, checks: list[tuple],
                           files: list[tuple]) -> None:
        write_duckdb(str(self.stem(home, build_id)), checks, files)

    # --- publish -----------------------------------------------------------------------------

    def keep_withheld(self, home: Home, build_id: str, previous: str | None,
                      withheld: Sequence[Withheld]) -> None:
        keep_withheld(self.stem(home, build_id),
                      self.stem(home, previous) if previous else None, build_id, withheld)

    def check_publishable(self, home: Home, build_id: str) -> None:
        build = self.stem(home, build_id)
        wal = build.with_name(build.name + ".wal")
        if wal.exists():
            raise PublishRefused(f"{wal} exists: the candidate was not closed cleanly; "
                                 "not publishing")
        with duckdb.connect(str(build), read_only=True) as con:  # it opens, has the marts
            con.sql("select count(*) from marts.mart_kpi_annual").fetchone()

    def switch(self, home: Home, build_id: str, previous: str | None) -> None:
        target = self.stem(home, build_id)
        link = home.published
        tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(os.path.relpath(target, link.parent), tmp)
        os.replace(tmp, link)
        sync_directory(link.parent)
        history = self.history(home)
        if build_id not in history:  # a rollback switches back to a build in force
            self.set_history(home, [*history, build_id])

    def drop(self, home: Home, build_id: str) -> bool:
        return True  # the files go with the artifacts; an open reader keeps its inode


def changes_path(home: Home) -> Path:
    """The change list of the build (:func:`bcd35.warehouse.incremental.write_changes`)."""
    return home.dbt / "raw_changes.csv"


def building_path(home: Home) -> Path:
    """Where dbt builds a candidate before it is renamed ``builds/<build_id>.duckdb`` (a folder
    of its own: ``builds/*.duckdb`` are the builds)."""
    return home.builds / ".building" / "candidate.duckdb"


def _stack_file(home: Home) -> Path:
    return home.warehouse / "published.json"
