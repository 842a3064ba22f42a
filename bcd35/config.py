"""Paths, settings and secrets: the ground floor every stage builds on.

Everything is derived from one home directory (``--home``, else ``$BCD35_HOME``, else
``./var``). Nothing here imports a later stage.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bcd35 import __version__
from bcd35.settings import settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DAGS_DIR = REPO_ROOT / "dags"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
REFERENCE_DIR = REPO_ROOT / "seeds" / "reference"
DEMO_INBOX = REPO_ROOT / "seeds" / "demo" / "inbox"

PSEUDONYM_KEY_ENV = "BCD35_PSEUDONYM_KEY"  # also how dbt's pseudonymisation UDF is given it
HOME_MODE = 0o750  # folders of a home: the owner writes, the analysts' group reads
PRIVATE_UMASK = 0o027  # files a writer creates: 0640 at most, nothing for other users


@dataclass(frozen=True)
class Home:
    """The directory tree of one installation (one committee for now)."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def originals(self) -> Path:
        """Every file ever seen, kept read-only under its sha256."""
        return self.root / "originals"

    @property
    def raw(self) -> Path:
        """Raw layer: the accepted files' rows, in packs per kind (:mod:`bcd35.ingest.raw`)."""
        return self.root / "raw"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def state_db(self) -> Path:
        """SQLite bookkeeping: the file registry and the run log."""
        return self.state / "bcd35.sqlite"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def builds(self) -> Path:
        return self.warehouse / "builds"

    @property
    def published(self) -> Path:
        """What analysts open: a symlink switched atomically to the last good build."""
        return self.warehouse / "bcd35.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def airflow(self) -> Path:
        return self.root / "airflow"

    @property
    def dbt(self) -> Path:
        return self.root / "dbt"

    @property
    def secrets_dir(self) -> Path:
        return self.root / "secrets"

    def ensure(self) -> Home:
        """Create the tree; private by default: folders 0750 (owner and the analysts' group,
        nobody else: raw files and originals carry personal names)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
        for path in (self.inbox, self.originals, self.raw, self.quarantine, self.state,
                     self.warehouse, self.builds, self.exports, self.airflow, self.dbt):
            path.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
        return self


def resolve_home(home: str | os.PathLike[str] | None = None) -> Home:
    """``home`` if given, else ``$BCD35_HOME``, else ``./var``."""
    raw = home if home is not None else settings().home or "var"
    return Home(Path(raw).expanduser().resolve())


def committee_code() -> str:
    return settings().committee


def page_timezone() -> str:
    return settings().timezone


def pseudonym_key(home: Home) -> bytes:
    """The key of the keyed hash that pseudonymises personal names.

    Read from ``$BCD35_PSEUDONYM_KEY``; otherwise generated once into the home (mode 0600)
    and reused. Never committed: the home is ignored by git.
    """
    from_env = settings().secret("pseudonym_key")
    if from_env:
        return from_env.encode()
    path = home.secrets_dir / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.replace(tmp, path)
    return path.read_text().strip().encode()


def code_version() -> str:
    """The git commit of the code (``-dirty`` when the tree has changes), else the version."""
    try:
        sha = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return __version__
    return f"{sha}-dirty" if dirty else sha


# --- several committees in one home (docs/operator.md#committees) ---------------------------------
COMMITTEE_CODE_PATTERN = r"^[a-z][a-z0-9_]*$"
COMMITTEES_FILE = "committees.csv"  # optional, in the home: committee_code[,name_vi,…]


def committees_file(home: Home) -> Path:
    """``HOME/committees.csv``: the committees of this home beyond the reference seed."""
    return home.root / COMMITTEES_FILE


def known_committees(home: Home) -> frozenset[str]:
    """Committee codes of the reference seed and of ``HOME/committees.csv`` (if present)."""
    pattern = re.compile(COMMITTEE_CODE_PATTERN)
    codes: set[str] = set()
    for path in (REFERENCE_DIR / "committees.csv", committees_file(home)):
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                code = (row.get("committee_code") or "").strip()
                if pattern.match(code):
                    codes.add(code)
    return frozenset(codes)


def committee_of(inbox_relative_path: str, default: str, known: frozenset[str]) -> str:
    """The committee a file belongs to, from its place in the inbox.

    ``inbox/<code>/…`` belongs to committee ``<code>`` when the first folder's name matches
    ``COMMITTEE_CODE_PATTERN`` and is a known committee (:func:`known_committees`); every
    other file (top level, or any other folder such as ``inbox/demo/``) belongs to ``default``.
    """
    parts = inbox_relative_path.replace("\\", "/").split("/")
    if len(parts) < 2:
        return default
    first = parts[0]
    if re.match(COMMITTEE_CODE_PATTERN, first) and first in known:
        return first
    return default
