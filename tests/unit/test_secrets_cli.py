"""``python -m deploy.secrets .env`` as the README's production section runs it:
a real process in an empty folder, then again over the file it wrote."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support import clean_env

REPO = Path(__file__).resolve().parents[2]


def secrets_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = clean_env()
    env["PYTHONPATH"] = str(REPO)  # the package of this checkout, from any working directory
    return subprocess.run([sys.executable, "-m", "deploy.secrets", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def example_variables() -> dict[str, str]:
    """``.env.example``: every variable with the value it has there ('' for the secrets)."""
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def read_env(path: Path) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(len(pair) == 2 for pair in pairs), pairs
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names)), "a variable written twice"
    return dict(pairs)


def test_writes_every_secret_of_the_example_into_a_private_env_file(tmp_path: Path):
    done = secrets_cli(tmp_path, ".env")

    assert done.returncode == 0, done.stderr
    env_file = tmp_path / ".env"
    assert "wrote .env (mode 0600)" in done.stdout
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]  # no temporary file left
    generated = read_env(env_file)
    example = example_variables()
    to_fill = {name for name, value in example.items() if value == ""}
    assert len(to_fill) == 12  # 4 PostgreSQL, Redis, 3 Airflow keys, 3 users, pseudonym
    # every variable the example leaves empty is filled, and nothing else is written: the
    # example's non-secrets (BCD35_WAREHOUSE, BCD35_COMMITTEE) keep the defaults of the
    # compose file
    assert set(generated) == to_fill
    assert {name for name, value in example.items() if value} == {"BCD35_WAREHOUSE",
                                                                  "BCD35_COMMITTEE"}
    for name, value in generated.items():
        # URL-safe, as the example asks ("several end up inside connection URLs")
        assert re.fullmatch(r"[A-Za-z0-9_=-]{32,}", value), name
    assert len(set(generated.values())) == len(generated)  # no value reused
    assert re.fullmatch(r"[0-9a-f]{64}", generated["BCD35_PSEUDONYM_KEY"])
    # the secrets are in the file only, never in what the command prints
    printed = done.stdout + done.stderr
    assert not [name for name, value in generated.items() if value in printed]


def test_each_run_generates_fresh_secrets(tmp_path: Path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert secrets_cli(first, ".env").returncode == 0
    assert secrets_cli(second, ".env").returncode == 0
    a, b = read_env(first / ".env"), read_env(second / ".env")
    assert a.keys() == b.keys()
    assert not [name for name in a if a[name] == b[name]]


def test_refuses_to_overwrite_an_existing_env_file(tmp_path: Path):
    assert secrets_cli(tmp_path, ".env").returncode == 0
    env_file = tmp_path / ".env"
    written = env_file.read_bytes()

    again = secrets_cli(tmp_path, ".env")

    assert again.returncode == 1
    assert ".env exists: not overwriting it" in again.stderr
    assert env_file.read_bytes() == written  # the deployment's secrets are kept
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_refuses_to_overwrite_a_hand_made_env_file(tmp_path: Path):
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_PASSWORD=chosen-by-the-operator\n", encoding="utf-8")
    env_file.chmod(0o640)

    done = secrets_cli(tmp_path, ".env")

    assert done.returncode == 1 and "not overwriting" in done.stderr
    assert env_file.read_text(encoding="utf-8") == "POSTGRES_PASSWORD=chosen-by-the-operator\n"
    assert env_file.stat().st_mode & 0o777 == 0o640  # not even its mode is touched
