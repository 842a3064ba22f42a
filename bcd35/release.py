"""Releases: what the office files, frozen so that it never changes silently.

``bcd35 release`` copies the current validated figures of one committee-year into
``HOME/releases/<committee>/<Y>/rN/``: every file of the annual report (the same writer as
``bcd35 report``), the partition's rows as Parquet (``data/``) and ``RELEASE.json`` with the
sha256 of every file of the release and of every source file behind it. The release is written
into a hidden folder beside its place and renamed into place once complete, then made
read-only (files 0444, folders 0555): a reader never sees half a release, and nothing the
warehouse does later (nights, publications, rollbacks, pruning of builds) touches it, because a
release depends on no build file: its figures are in its own Parquet files and the originals
behind it are kept for ever under ``originals/``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from bcd35.completeness import ReferenceError_, completeness
from bcd35.config import Home, code_version, page_timezone
from bcd35.hashing import sha256_of
from bcd35.partitions import partitioned_tables
from bcd35.release_index import (
    RELEASE_FILE,
    Release,
    all_releases,
    final_release_sources,
    list_releases,
    read_release,
    releases_root,
    with_previous_year_release,
    year_dir,
)
from bcd35.report import check_not_withheld, check_publishable, write_files
from bcd35.report.audit_pack import original_path
from bcd35.report.kpis import read_report_data
from bcd35.report.stamp import Stamp
from bcd35.restatement import restatement_between, write_restatement

__all__ = ["RELEASE_FILE", "Release", "ReleaseRefused", "all_releases", "create_release",
           "diff", "final_release_sources", "list_releases", "read_release", "releases_root",
           "with_previous_year_release", "year_dir"]

DATA_FOLDER = "data"


class ReleaseRefused(RuntimeError):
    """The release would not be backed by validated, complete figures (message in both
    languages)."""


sha256_file = sha256_of  # the name backup, verify and the tests import


def file_hashes(directory: Path) -> dict[str, str]:
    """relative path → sha256 of every file under ``directory`` except ``RELEASE.json``."""
    return {p.relative_to(directory).as_posix(): sha256_file(p)
            for p in sorted(directory.rglob("*"))
            if p.is_file() and p.relative_to(directory).as_posix() != RELEASE_FILE}


def export_partition(build: Path, committee: str, year: int, folder: Path) -> dict[str, int]:
    """The partition's rows of every partitioned mart as ``folder/<table>.parquet``; returns
    table → rows. Rows are ordered, so the same figures give the same rows."""

    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    with duckdb.connect(str(build), read_only=True) as con:
        for table, how in sorted(partitioned_tables(con).items()):
            if not how.by_committee:
                continue
            where = f"committee_code = ? and {how.year_column} = ?"
            n = con.execute(f"select count(*) from {table} where {where}",
                            [committee, year]).fetchone()[0]
            target = folder / f"{table.split('.', 1)[1]}.parquet"
            path = str(target).replace("'", "''")
            con.execute(f"copy (select * from {table} where {where} order by all) "
                        f"to '{path}' (format parquet)", [committee, year])
            counts[table] = int(n)
    return counts


def with_originals(sources: list[dict], home: Home) -> list[dict]:
    """The partition's source files (``ReportData.source_files``), each with where its
    original is kept and the original's sha256 as it is now."""
    out = []
    for s in sources:
        original = original_path(home, s["sha256"])
        out.append({**s, "original": original.relative_to(home.root).as_posix(),
                    "original_sha256": sha256_file(original) if original.is_file() else None})
    return out


def make_read_only(directory: Path) -> None:
    """Files 0444, folders 0555: the release is frozen for everyone but a deliberate chmod."""
    for path in sorted(directory.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    directory.chmod(0o555)


def is_read_only(directory: Path) -> bool:
    for path in [directory, *directory.rglob("*")]:
        if path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


def create_release(home: Home, year: int, committee: str, *, provisional: bool, note: str,
                   now: datetime | None = None) -> Release:
    """Freeze the published, validated figures of (committee, year) as the next ``rN``.

    The caller holds the home's writer lock (no night publishes while the figures are read)."""

    if not note.strip():
        raise ReleaseRefused("Cần ghi chú (--note) cho bản phát hành. / A release needs a note "
                             "(--note).")
    build, manifest = check_publishable(home, allow_stale=False)
    check_not_withheld(manifest, committee, year)
    if not provisional:
    
        try:
            status = completeness(home, build, manifest, committee, year)
        except ReferenceError_ as exc:
            raise ReleaseRefused(str(exc)) from exc
        if not status.complete:
            raise ReleaseRefused(status.refusal())
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    existing = list_releases(home, committee, year)
    number = (existing[-1].number if existing else 0) + 1
    data = with_previous_year_release(home, read_report_data(build, committee, year, manifest))
    if not data.kpis:
        raise ReleaseRefused(
            f"Không có số liệu năm {year} cho {committee} trong bản đã công bố. / "
            f"The published build has no figures for {year} ({committee}).")
    previous = existing[-1] if existing else None


    stamp = Stamp(kind="release", build_id=manifest["build_id"], number=number,
                  provisional=provisional, date=now.astimezone(ZoneInfo(page_timezone())).date())
    parent = year_dir(home, committee, year)
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / f"r{number}"
    staging = Path(tempfile.mkdtemp(prefix=f".r{number}.", dir=parent))
    try:
        staging.chmod(0o755)
        sources = with_originals(data.source_files, home)
        restatement = None
        if previous is not None:
        
            restatement = restatement_between(previous.doc, _kpi_values(data), sources,
                                              f"r{number}", _kpi_names(data), home)
        write_files(staging, home, build, data, stamp=stamp, restatement=restatement)
        rows = export_partition(build, committee, year, staging / DATA_FOLDER)
        if restatement is not None:
        
            write_restatement(staging, restatement)
        doc = {
            "committee": committee,
            "year": int(year),
            "number": number,
            "release": f"r{number}",
            "provisional": provisional,
            "status": "provisional" if provisional else "final",
            "note": note,
            "released_at": now.isoformat(),
            "build_id": manifest["build_id"],
            "run_id": manifest["run_id"],
            "code_version": code_version(),
            "build_code_version": manifest.get("code_version"),
            "kpis": _kpi_values(data),
            "partition_rows": rows,
            "sources": sources,
            "files": file_hashes(staging),
            "restates": previous.name if previous else None,
        }
        (staging / RELEASE_FILE).write_text(
            json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8")
        make_read_only(staging)
        if target.exists():  # never happens under the writer lock; never overwrite
            raise ReleaseRefused(f"{target} đã có / already exists")
        os.rename(staging, target)
    except BaseException:
        if staging.exists():
            for path in [staging, *staging.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)
            shutil.rmtree(staging, ignore_errors=True)
        raise
    return read_release(target)


def _kpi_names(data) -> dict[str, str]:
    return {k.code: k.name_vi for k in data.kpis}


def _kpi_values(data) -> dict[str, float | int | None]:
    return {k.code: k.value for k in data.kpis}


def diff(home: Home, year: int, committee: str, names: list[str]) -> dict:
    """The restatement between two releases (``names`` = [rA, rB]), or from one release (the
    latest when ``names`` is empty) to the figures published now."""
    releases = {r.name: r for r in list_releases(home, committee, year)}
    if not releases:
        raise ReleaseRefused(f"{committee} {year}: chưa có bản phát hành nào / no release yet")
    unknown = [n for n in names if n not in releases]
    if unknown:
        raise ReleaseRefused(f"{committee} {year}: không có / no such release {', '.join(unknown)}"
                             f" (có / there are {', '.join(releases)})")

    older = releases[names[0]] if names else list(releases.values())[-1]
    if len(names) > 1:
        newer = releases[names[1]].doc
        return restatement_between(older.doc, newer["kpis"], newer["sources"], names[1],
                                   home=home)

    build, manifest = check_publishable(home, allow_stale=True)
    data = read_report_data(build, committee, year, manifest)
    return restatement_between(older.doc, _kpi_values(data),
                               with_originals(data.source_files, home),
                               f"hiện tại / current ({manifest['build_id']})", _kpi_names(data),
                               home)
