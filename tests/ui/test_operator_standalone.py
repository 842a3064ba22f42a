"""``make up`` / ``make down`` plumbing (bcd35.operator.standalone), without starting Airflow.

The real start is in test_airflow_ui.py; these check the environment it gets, that ``down``
stops exactly the process group of the PID file, and the refusals.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bcd35.cli import main
from bcd35.config import Home
from bcd35.operator import standalone


@pytest.fixture
def home(tmp_path) -> Home:
    return Home(tmp_path / "home").ensure()


def test_environment_is_the_embedded_default_on_localhost(home, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")  # not inherited
    env = standalone.standalone_env(home, 8765)
    assert env["AIRFLOW_HOME"] == str(home.airflow)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == f"sqlite:///{home.airflow}/airflow.db"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert int(env["AIRFLOW__CORE__PARALLELISM"]) <= 4
    assert env["AIRFLOW__API__HOST"] == "127.0.0.1" and env["AIRFLOW__API__PORT"] == "8765"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8765/execution/"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(
        home.airflow / "simple_auth_manager_passwords.json.generated")
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["BCD35_HOME"] == str(home.root)


def test_passwords_file_is_in_the_ignored_home():
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text().split()
    assert "var/" in ignored  # the default home, where make up writes the password


def test_down_without_pid_file_does_nothing(home, capsys):
    assert standalone.down(home) is None
    assert main(["down", "--home", str(home.root)]) == 0
    assert "không chạy / was not running" in capsys.readouterr().out


def test_down_with_a_stale_pid_file_removes_it(home):
    proc = subprocess.Popen(["true"])
    proc.wait()
    standalone.pid_file(home).write_text(f"{proc.pid}\n")
    assert standalone.running(home) is None
    assert standalone.down(home) is None
    assert not standalone.pid_file(home).exists()


def test_down_never_signals_a_process_that_is_not_airflow(home):
    other = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        standalone.pid_file(home).write_text(f"{other.pid}\n")
        assert standalone.down(home) is None
        assert other.poll() is None  # still running
        assert not standalone.pid_file(home).exists()
    finally:
        other.kill()
        other.wait()


def test_down_stops_the_whole_process_group(home):
    # a stand-in for `airflow standalone` and its children, in its own process group
    script = ": airflow standalone; sleep 300 & sleep 300 & wait"
    leader = subprocess.Popen(["bash", "-c", script], start_new_session=True)
    try:
        time.sleep(0.5)
        standalone.pid_file(home).write_text(f"{leader.pid}\n")
        assert standalone.running(home) is not None
        assert standalone.down(home, timeout=10) == leader.pid
        leader.wait(5)  # (already reaped by down: it was our child)
        assert not standalone._alive(leader.pid)  # the two sleeps too: the whole group
        assert not standalone.pid_file(home).exists()
    finally:
        if leader.poll() is None:
            os.killpg(leader.pid, signal.SIGKILL)
            leader.wait()


def test_up_refuses_a_port_in_use(home):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(standalone.StandaloneError, match="PORT="):
            standalone.up(home, port)
    assert not standalone.pid_file(home).exists()
