"""Fixtures of the dbt tests: a published demo warehouse and a throw-away PostgreSQL.

``published_home``: one real night (``bcd35 demo`` + ``bcd35 run``: Airflow, dbt, GX,
publish) over the demo inbox, once per session. Tests that change things copy it.

``postgres``: a PostgreSQL server (15 preferred) started for the session in a temporary
directory, on a free loopback port with a private socket directory, trust authentication on
127.0.0.1 only; stopped by its own pg_ctl, then by PID if needed, and deleted afterwards.
When no server binaries are installed the PostgreSQL tests fail: a skip would count as a pass.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bcd35.warehouse.postgres import PgTarget

REPO = Path(__file__).resolve().parents[2]
BCD35 = str(Path(sys.executable).with_name("bcd35"))


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL server binaries (initdb)")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BCD35_"))}


def bcd35(home: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BCD35, *args, "--home", str(home)], env=clean_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def published_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("dbt_demo") / "home"
    assert bcd35(home, "demo").returncode == 0
    run = bcd35(home, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return home


# --- PostgreSQL ---------------------------------------------------------------------------

def _pg_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: (not p.startswith("/usr/lib/postgresql/15/"), p))
    for found in (*candidates, shutil.which("initdb") or "", "/usr/local/bin/initdb"):
        if found and Path(found).exists():
            return Path(os.path.realpath(found)).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user() -> tuple[list[str], int | None]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        pytest.fail("running as root and there is no postgres user to run the server as")
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--"], uid
    return [shutil.which("su") or "su", "postgres", "-s", "/bin/sh", "-c"], uid


def _stop(bindir: Path, prefix: list[str], data: Path, pid: int | None) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "-t", "20", "stop"], capture_output=True, check=False)
    if pid is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres() -> PgTarget:
    bindir = _pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    prefix, uid = _as_server_user()
    if prefix and prefix[-1] == "-c":
        pytest.fail("only runuser is supported to start PostgreSQL as root")
    root = Path(tempfile.mkdtemp(prefix="bcd35-pg-"))
    data, log = root / "data", root / "server.log"
    if uid is not None:
        os.chown(root, uid, -1)
    port = _free_port()
    pid = None
    try:
        init = subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            capture_output=True, text=True, check=False)
        assert init.returncode == 0, init.stdout + init.stderr
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        start = subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
             "-w", "-t", "60", "start"], capture_output=True, text=True, check=False)
        if (data / "postmaster.pid").exists():
            pid = int((data / "postmaster.pid").read_text().split()[0])
        assert start.returncode == 0, start.stdout + start.stderr + (
            log.read_text() if log.exists() else "")
        target = PgTarget(host="127.0.0.1", port=port, user="postgres", database="bcd35")
        with contextlib.closing(
                PgTarget(host="127.0.0.1", port=port, user="postgres",
                         database="postgres").connect()) as conn:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("create database bcd35")
        yield target
    finally:
        _stop(bindir, prefix, data, pid)
        shutil.rmtree(root, ignore_errors=True)
