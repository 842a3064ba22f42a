"""One typed settings object reads every ``BCD35_*`` variable; the docs' table is generated
from it; ``bcd35 config`` shows the effective values with secrets masked; shared names are
defined once (``bcd35/constants.py``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from bcd35 import settings as settings_module
from bcd35.constants import TIMEZONE, WAREHOUSE_POOL
from bcd35.settings import CHILD_ENV, Settings
from tests.support import BCD35, REPO

DOCS = REPO / "docs" / "settings.md"
SOURCES = [*(REPO / "bcd35").rglob("*.py"), *(REPO / "dags").glob("*.py")]
READ = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["'](BCD35_[A-Z0-9_]+)["']""")
SPELLED_ONCE = [TIMEZONE, f'"{WAREHOUSE_POOL}"', "bcd35://warehouse"]


def direct_reads(path: Path) -> list[str]:
    """``BCD35_*`` variables ``path`` reads from the environment itself (not through the
    settings object), except those bcd35 sets for its own children."""
    return [name for name in READ.findall(path.read_text(encoding="utf-8"))
            if name not in CHILD_ENV]


def respelled(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [value for value in SPELLED_ONCE if value in text]


def _docs_table(text: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if line.startswith("|"))


def test_the_docs_table_is_the_generated_one():
    assert _docs_table(DOCS.read_text(encoding="utf-8")) == settings_module.markdown_table()


def test_a_docs_table_missing_a_setting_is_caught():
    planted = "\n".join(line for line in DOCS.read_text(encoding="utf-8").splitlines()
                        if "BCD35_PG_SWAP_ATTEMPTS" not in line)
    assert _docs_table(planted) != settings_module.markdown_table()


def test_no_module_reads_a_setting_behind_the_settings_object():
    offenders = {str(p.relative_to(REPO)): direct_reads(p) for p in SOURCES
                 if p.name != "settings.py"}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_shared_names_are_spelled_once():
    offenders = {str(p.relative_to(REPO)): respelled(p) for p in SOURCES
                 if p.name != "constants.py"}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_planted_module_is_caught_by_both_rules():
    planted = REPO / "tests" / "fixtures" / "settings" / "reads_env_directly.py"
    assert direct_reads(planted) == ["BCD35_SOMETHING_NEW"]
    assert respelled(planted) == [TIMEZONE]


def test_values_are_typed_and_read_when_asked(monkeypatch):
    monkeypatch.setenv("BCD35_PG_PORT", "6543")
    monkeypatch.setenv("BCD35_FORCE_BUILD", "1")
    monkeypatch.setenv("BCD35_INGEST_WORKERS", "")
    current = settings_module.settings()
    assert (current.pg_port, current.force_build, current.ingest_workers) == (6543, True, None)
    monkeypatch.setenv("BCD35_WAREHOUSE", "oracle")
    with pytest.raises(ValidationError, match="duckdb"):
        Settings()


def _config(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in __import__("os").environ.items() if not k.startswith("BCD35_")}
    return subprocess.run([BCD35, "config", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=120)


def test_bcd35_config_masks_secrets_and_says_where_each_value_came_from():
    done = _config({"BCD35_PG_PASSWORD": "hunter2-secret", "BCD35_DBT_THREADS": "3",
                    "BCD35_ALERT_URLS": "mailto://clerk:pw-in-url@example.org"})
    assert done.returncode == 0, done.stderr
    assert "hunter2-secret" not in done.stdout and "pw-in-url" not in done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:]}
    assert set(lines) == {settings_module.env_name(f) for f in Settings.model_fields}
    assert "********" in lines["BCD35_PG_PASSWORD"] and "(environment)" in lines[
        "BCD35_PG_PASSWORD"]
    assert " 3  (environment)" in lines["BCD35_DBT_THREADS"]
    assert "(default)" in lines["BCD35_PG_PORT"]


def test_bcd35_config_names_an_invalid_value():
    done = _config({"BCD35_PG_PORT": "năm nghìn"})
    assert done.returncode == 1
    assert "BCD35_PG_PORT" in done.stderr and "năm nghìn" in done.stderr
