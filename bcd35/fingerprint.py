"""Everything a build's figures depend on, as one hash: a night with nothing new builds nothing.

The fingerprint covers the raw layer (each file's name — the sha256 of its source — size and
mtime, so a rewrite counts as a change), the home's committee list, the dbt project, the
reference seeds, the office's reference data (``HOME/reference``: targets,
pages), the Great Expectations suites, every module of the ``bcd35`` package, the versions of
the libraries that write a build (:data:`LIBRARIES`), the committee and the pseudonymisation
key (hashed). Nothing in the models reads the clock, so two
builds with one fingerprint have the same figures. A night whose fingerprint equals the one the
*published, validated* build was made from skips build, audit and publish; any difference —
one new file, one changed line of SQL or Python, a new key — builds, audits and publishes as
usual. It never decides that a failed or unpublished build is current.

It is made of two parts: the raw listing (:func:`raw_listing`) and the *base* fingerprint of
everything else (:func:`base_fingerprint`). When only the listing moved, the build may be
incremental (:mod:`bcd35.warehouse.incremental`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from bcd35.config import (
    DBT_PROJECT_DIR,
    EXPECTATIONS_DIR,
    REFERENCE_DIR,
    REPO_ROOT,
    Home,
    committees_file,
    pseudonym_key,
)
from bcd35.home_reference import input_files
from bcd35.settings import settings

FORCE_ENV = "BCD35_FORCE_BUILD"  # "1": build even when nothing changed
#: the libraries that write a build: another version may write other rows or another file
LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb", "dbt-postgres", "great-expectations",
             "pyarrow")
DBT_INPUTS = ("dbt_project.yml", "profiles.yml", "packages.yml", "models/**/*", "macros/**/*",
              "tests/**/*", "analyses/**/*")
CODE = REPO_ROOT / "bcd35"


def _files(root: Path, patterns: Iterable[str]) -> list[Path]:
    found = {path for pattern in patterns for path in root.glob(pattern) if path.is_file()}
    return sorted(p for p in found if "__pycache__" not in p.parts)


def _hash_files(h: hashlib._Hash, root: Path, patterns: Iterable[str]) -> None:
    for path in _files(root, patterns):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())


def dbt_project_hash(h: hashlib._Hash) -> None:
    """Add the dbt project's files (what dbt parses) to ``h``."""
    _hash_files(h, DBT_PROJECT_DIR, DBT_INPUTS)


def raw_listing(raw: Path) -> dict[str, tuple[int, int]]:
    """``<kind>/<file>.parquet`` → (size, mtime in ns) of every file of the raw layer: what
    the build reads from it, and what an incremental build compares
    (:func:`bcd35.warehouse.incremental.raw_changes`)."""
    listing: dict[str, tuple[int, int]] = {}
    if not raw.exists():
        return listing
    for kind in sorted(p for p in raw.iterdir() if p.is_dir()):
        with os.scandir(kind) as entries:
            for e in entries:
                if e.name.endswith(".parquet"):
                    stat = e.stat()
                    listing[f"{kind.name}/{e.name}"] = (stat.st_size, stat.st_mtime_ns)
    return dict(sorted(listing.items()))


def base_fingerprint(home: Home, committee: str, *, code: Iterable[Path] = ()) -> str:
    """The sha256 of everything the build reads except the raw layer: when it equals the
    published build's, a build may start from that build and replace only the raw files that
    changed (:mod:`bcd35.warehouse.incremental`); any other change rebuilds everything."""
    h = hashlib.sha256()
    h.update(b"committees\0")
    listing = committees_file(home)
    if listing.exists():
        h.update(hashlib.sha256(listing.read_bytes()).digest())

    h.update(b"home reference\0")
    for path in input_files(home):
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    h.update(b"dbt\0")
    dbt_project_hash(h)
    h.update(b"reference\0")
    _hash_files(h, REFERENCE_DIR, ("*.csv", "*.yml"))
    h.update(b"expectations\0")
    _hash_files(h, EXPECTATIONS_DIR, ("*.json",))
    h.update(b"code\0")
    _hash_files(h, CODE, ("**/*.py",))
    for path in sorted(code):
        h.update(hashlib.sha256(path.read_bytes()).digest())
    h.update(b"libraries\0")
    for name in LIBRARIES:
        h.update(f"{name}=={library_version(name)}\n".encode())
    h.update(f"committee\0{committee}\0".encode())
    h.update(hashlib.sha256(pseudonym_key(home)).digest())
    return h.hexdigest()


def library_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


def combine(raw: dict[str, tuple[int, int]], base: str) -> str:
    """The build fingerprint of a raw listing and a base fingerprint."""
    h = hashlib.sha256(b"raw\0")
    for name, (size, mtime) in raw.items():
        h.update(f"{name}\0{size}\0{mtime}\n".encode())
    h.update(b"base\0" + base.encode())
    return h.hexdigest()


def build_fingerprint(home: Home, committee: str, *, code: Iterable[Path] = ()) -> str:
    """The sha256 of everything the build reads; ``code``: extra files (another back end)."""
    return combine(raw_listing(home.raw), base_fingerprint(home, committee, code=code))


def forced() -> bool:

    return settings().force_build
