"""The releases on disk, read only: which there are, what each ``RELEASE.json`` says, and which
source files the final ones were made from (the withdrawal guard of docs/operator.md).

A layer below ``bcd35.release`` (which writes releases, with DuckDB, the report writers and
the completeness check): the ingest asks it which files a withdrawal would take from a final
release without importing the release writer, which imports the ingest back through the
completeness check (docs/development.md#imports).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from bcd35.config import Home

RELEASE_FILE = "RELEASE.json"
_RN = re.compile(r"^r([1-9][0-9]*)$")


@dataclass(frozen=True)
class Release:
    committee: str
    year: int
    number: int
    directory: Path
    doc: dict

    @property
    def name(self) -> str:
        return f"r{self.number}"

    @property
    def provisional(self) -> bool:
        return bool(self.doc.get("provisional"))


def releases_root(home: Home) -> Path:
    return home.root / "releases"


def year_dir(home: Home, committee: str, year: int) -> Path:
    return releases_root(home) / committee / str(int(year))


def list_releases(home: Home, committee: str, year: int) -> list[Release]:
    """The releases of a committee-year, r1 first."""
    folder = year_dir(home, committee, year)
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = _RN.match(path.name)
            if match and (path / RELEASE_FILE).is_file():
                found.append(read_release(path))
    return sorted(found, key=lambda r: r.number)


def all_releases(home: Home) -> list[Release]:
    root = releases_root(home)
    out = []
    if root.is_dir():
        for committee in sorted(p for p in root.iterdir() if p.is_dir()):
            for year in sorted(p for p in committee.iterdir() if p.name.isdigit()):
                out += list_releases(home, committee.name, int(year.name))
    return out


def final_release_sources(home: Home) -> dict[str, list[str]]:
    """sha256 of every source file a final release was made from → those releases
    (``"ham_yen 2024 r2"``): withdrawing one changes figures the office filed as final."""
    behind: dict[str, list[str]] = {}
    for release in all_releases(home):
        if release.provisional:
            continue
        for source in release.doc.get("sources", []):
            behind.setdefault(source["sha256"], []).append(
                f"{release.committee} {release.year} {release.name}")
    return behind


def read_release(path: Path) -> Release:
    doc = json.loads((path / RELEASE_FILE).read_text(encoding="utf-8"))
    return Release(doc["committee"], int(doc["year"]), int(doc["number"]), path, doc)


def with_previous_year_release(home: Home, data):
    """The previous-year column from the latest final release of Y−1 when there is one (what
    the office filed for that year); otherwise it stays the warehouse's, with the months it
    covers."""
    finals = [r for r in list_releases(home, data.committee.code, data.year - 1)
              if not r.provisional]
    if not finals:
        return data
    filed = finals[-1]
    kpis = [replace(k, previous_year=filed.doc["kpis"].get(k.code),
                    previous_year_release=filed.name, is_previous_year_partial=False,
                    previous_year_months=None) for k in data.kpis]
    return replace(data, kpis=kpis)
