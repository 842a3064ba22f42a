"""Alert messages, the setting, and sending once per event (a webhook receiver on 127.0.0.1)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bcd35 import alerts, runs
from bcd35.config import Home


@pytest.fixture
def webhook() -> Iterator[tuple[queue.Queue, str]]:
    received: queue.Queue = queue.Queue()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            received.put(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield received, f"json://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()


def test_urls_are_split_on_spaces_and_commas():
    env = {alerts.ALERT_URLS_ENV: " mailto://a@b ,tgram://t/c\njson://h/p "}
    assert alerts.alert_urls(env) == ["mailto://a@b", "tgram://t/c", "json://h/p"]
    assert alerts.alert_urls({}) == []
    assert alerts.status_text({}).startswith("tắt")
    assert "3 nơi nhận / destinations (json, mailto, tgram)" in alerts.status_text(env)


def test_no_setting_sends_and_records_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv(alerts.ALERT_URLS_ENV, raising=False)
    home = Home(tmp_path / "home")
    assert alerts.send_withheld(home, "r1", "ham_yen", 2024, ["meeting_totals"]) is False
    assert alerts.sent(home) == []


def test_withheld_partition_is_sent_once_with_what_to_fix(tmp_path, monkeypatch, webhook):
    received, url = webhook
    monkeypatch.setenv(alerts.ALERT_URLS_ENV, url)
    home = Home(tmp_path / "home")
    assert alerts.send_withheld(home, "r1", "ham_yen", 2024, ["meeting_totals"]) is True
    assert alerts.send_withheld(home, "r1", "ham_yen", 2024, ["meeting_totals"]) is False
    message = received.get(timeout=30)
    assert "ham_yen 2024" in message["title"]
    assert "bị giữ lại" in message["message"] and "were withheld" in message["message"]
    assert "meeting_totals" in message["message"] and "What to do" in message["message"]
    assert alerts.send_withheld(home, "r1", "ham_yen", 2025, ["meeting_totals"]) is True
    assert "2025" in received.get(timeout=30)["title"]
    assert received.empty()


def test_stale_only_after_36_hours_of_no_good_night(tmp_path, monkeypatch):
    monkeypatch.delenv(alerts.ALERT_URLS_ENV, raising=False)
    home = Home(tmp_path / "home")
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert alerts.check_stale(home, now) is None  # a home with no night yet
    runs.start(home, "r1")
    runs.update(home, "r1", status="published")
    ended = alerts.last_success(home)
    assert ended is not None
    assert alerts.check_stale(home, ended.replace(tzinfo=UTC) + timedelta(hours=35)) is None
    late = alerts.check_stale(home, ended.replace(tzinfo=UTC) + timedelta(hours=37))
    assert late is not None and "37 giờ trước" in late.body and "37 hours ago" in late.body
    runs.start(home, "r2")
    runs.update(home, "r2", status="build_failed")  # a failed night does not count
    assert alerts.last_success(home) == ended
