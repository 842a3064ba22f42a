"""Alerts delivered to a real SMTP server (aiosmtpd) and a webhook receiver on 127.0.0.1.

The nights are real (``bcd35 run`` through ``dag.test()``); the messages go out through the
Apprise provider's notifier to ``mailto://`` and ``json://`` URLs of servers this test starts.
"""

from __future__ import annotations

import json
import queue
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from bcd35 import alerts
from bcd35.config import Home
from tests.support import BCD35, FIXTURES, clean_env

INGEST_FIXTURES = FIXTURES.parent / "ingest"


def _free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Messages received by both servers: (channel, title, body)."""

    def __init__(self) -> None:
        self.messages: queue.Queue[tuple[str, str, str]] = queue.Queue()

    def take(self, n: int, timeout: float = 60) -> list[tuple[str, str, str]]:
        return [self.messages.get(timeout=timeout) for _ in range(n)]

    def nothing_more(self) -> bool:
        return self.messages.empty()


@pytest.fixture
def receivers() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()

    class Smtp:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            mail = message_from_bytes(envelope.content, policy=policy.default)
            inbox.messages.put(("mail", str(mail["Subject"]), mail.get_content()))
            return "250 OK"

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            inbox.messages.put(("webhook", doc["title"], doc["message"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    smtp = Controller(Smtp(), hostname="127.0.0.1", port=_free_port())
    smtp.start()
    web = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    urls = (f"mailto://127.0.0.1:{smtp.port}?from=bcd35@localhost&to=vanphong@localhost"
            f"&secure=no, json://127.0.0.1:{web.server_port}/bcd35")
    try:
        yield inbox, urls
    finally:
        web.shutdown()
        smtp.stop()


def run_cli(home: Path, *args: str, urls: str | None = None) -> subprocess.CompletedProcess:
    env = clean_env()
    if urls is not None:
        env[alerts.ALERT_URLS_ENV] = urls
    return subprocess.run([BCD35, *args, "--home", str(home)], env=env, capture_output=True,
                          text=True, timeout=900)


def _break_the_build(home: Path) -> None:
    """A raw file that is not Parquet any more: dbt cannot build, the whole night fails."""
    victim = sorted((home / "raw" / "meeting_log").glob("*.parquet"))[-1]
    victim.chmod(0o644)
    victim.write_bytes(b"not parquet")


def test_failed_night_and_quarantined_file_each_send_one_message(home_copy: Path, receivers):
    inbox, urls = receivers
    (home_copy / "inbox" / "thang3").mkdir()
    (home_copy / "inbox" / "thang3" / "so_hoi_nghi.csv").write_bytes(
        (INGEST_FIXTURES / "meeting_log_bad_values.csv").read_bytes())
    _break_the_build(home_copy)

    run = run_cli(home_copy, "run", urls=urls)

    assert run.returncode != 0, run.stdout
    got = inbox.take(4)  # one failed night + one quarantine, on each of the two channels
    assert inbox.nothing_more()
    by = {(channel, "thất bại" in title): body for channel, title, body in got}
    for channel in ("mail", "webhook"):
        failed = by[(channel, True)]
        assert "thất bại ở bước «build»" in failed and "failed at the «build» stage" in failed
        assert "Cách xử lý" in failed and "What to do" in failed
        quarantined = by[(channel, False)]
        assert "inbox/thang3/so_hoi_nghi.csv" in quarantined
        assert "'31/02/2024' không phải ngày có thật" in quarantined
        assert "nộp lại đúng tên cũ" in quarantined and "drop it again" in quarantined
    events = [event for event, _, _ in alerts.sent(Home(home_copy))]
    assert sorted(events) == ["night_failed", "quarantined"]


def test_dag_failure_callback_sends_through_the_notifier_once(home_copy: Path, receivers,
                                                              monkeypatch):
    inbox, urls = receivers
    monkeypatch.setenv(alerts.ALERT_URLS_ENV, urls)
    monkeypatch.setenv("BCD35_HOME", str(home_copy))
    from airflow.dag_processing.dagbag import DagBag

    from bcd35.config import DAGS_DIR

    dag = DagBag(dag_folder=str(DAGS_DIR / "bcd35_nightly.py")).dags["bcd35_nightly"]
    callback = dag.default_args["on_failure_callback"]
    for task in dag.tasks:  # every task of the night carries it
        assert task.on_failure_callback in (callback, [callback])
    context = {"run_id": "manual__planted", "exception": RuntimeError("planted failure")}
    callback(context)
    callback(context)  # the same night again (bcd35 run after dag.test): not a second message
    got = inbox.take(2)
    assert {channel for channel, _, _ in got} == {"mail", "webhook"}
    assert all("manual__planted" in title and "planted failure" in body
               for _, title, body in got)
    assert inbox.nothing_more()


def _age_runs(home: Path, hours: float) -> None:
    stamp = (datetime.now(UTC) - timedelta(hours=hours)).replace(tzinfo=None)
    with closing(sqlite3.connect(home / "state" / "bcd35.sqlite")) as con, con:
        con.execute("update runs set started_at = ?, ended_at = ?",
                    (stamp.isoformat(timespec="seconds"), stamp.isoformat(timespec="seconds")))


def test_stale_warehouse_alert_and_nothing_without_a_setting(home_copy: Path, receivers):
    inbox, urls = receivers
    _age_runs(home_copy, 35)  # not yet stale
    fresh = run_cli(home_copy, "alerts", "check", urls=urls)
    assert fresh.returncode == 0 and "fresh" in fresh.stdout
    _age_runs(home_copy, 40)
    off = run_cli(home_copy, "alerts", "check")  # no BCD35_ALERT_URLS: nothing sent
    assert off.returncode == 1
    assert alerts.sent(Home(home_copy)) == []
    status = run_cli(home_copy, "status")
    assert "off: BCD35_ALERT_URLS is not set" in status.stdout
    assert inbox.nothing_more()

    stale = run_cli(home_copy, "alerts", "check", urls=urls)
    assert stale.returncode == 1
    got = inbox.take(2)
    assert {channel for channel, _, _ in got} == {"mail", "webhook"}
    for _, title, body in got:
        assert "không được cập nhật" in title
        assert "40 giờ trước" in body and "40 hours ago" in body and "make up" in body
    again = run_cli(home_copy, "alerts", "check", urls=urls)  # the hour after: no repeat
    assert again.returncode == 1
    assert inbox.nothing_more()
    status = run_cli(home_copy, "status", urls=urls)
    assert "on: 2 nơi nhận / destinations (json, mailto)" in status.stdout
