"""Alerts: a message, in Vietnamese and English, that says what went wrong and what to fix.

Events: a night failed (``night_failed``), a partition was withheld (``withheld``), files were
quarantined (``quarantined``), no night has succeeded for :data:`STALE_AFTER` (``stale``).

One setting, ``BCD35_ALERT_URLS``: Apprise URLs separated by spaces or commas (``mailto://…``,
``tgram://bot-token/chat-id``, ``json://host/path`` for a webhook, …). Without it nothing is
sent and ``bcd35 status`` says alerts are off. Messages go out through the Apprise provider's
notifier (``AppriseNotifier``), the same in the Airflow DAG and in ``bcd35 run``.

Every alert is sent at most once: its (event, key) is recorded in the home's state database
before it goes out (the key is the run id for a night, the file's sha256 for a quarantined file,
the partition for a withheld one, the last good night for a stale warehouse). So a failure seen
both by the DAG's failure callback and by ``bcd35 run`` afterwards is one message, and the
hourly staleness check does not repeat itself (it reminds once a day while it lasts).

Who watches for a stale warehouse: the hourly DAG ``bcd35_watchdog`` under Airflow
(``bcd35 up``), or ``bcd35 alerts check`` from cron where Airflow's scheduler does not run.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bcd35 import runs
from bcd35.config import Home
from bcd35.settings import settings

ALERT_URLS_ENV = "BCD35_ALERT_URLS"
STALE_AFTER = timedelta(hours=36)
EVENTS = ("night_failed", "withheld", "quarantined", "stale")
SUCCESS_STATUSES = ("published", "unchanged")  # and any published_* variant

log = logging.getLogger(__name__)

_SCHEMA = """
create table if not exists alerts_sent (
    event text not null,
    key text not null,
    sent_at text not null,
    title text not null,
    destinations integer not null,
    primary key (event, key)
)
"""


def alert_urls(environ: dict[str, str] | None = None) -> list[str]:
    """The Apprise URLs of ``BCD35_ALERT_URLS`` (spaces, commas or new lines between them)."""
    if environ is not None:
        raw = environ.get(ALERT_URLS_ENV, "")
    else:
        raw = settings().secret("alert_urls") or ""
    return [url for url in re.split(r"[\s,]+", raw) if url]


def status_text(environ: dict[str, str] | None = None) -> str:
    """One line for ``bcd35 status``: off, or on with the kinds of destination (no secrets)."""
    urls = alert_urls(environ)
    if not urls:
        return (f"tắt: chưa đặt {ALERT_URLS_ENV}, không gửi cảnh báo nào / off: "
                f"{ALERT_URLS_ENV} is not set, no alert is sent")
    schemes = sorted({url.split("://", 1)[0] for url in urls})
    return f"bật / on: {len(urls)} nơi nhận / destinations ({', '.join(schemes)})"


@dataclass(frozen=True)
class Alert:
    event: str
    key: str
    title: str
    body: str
    failure: bool = True


def _home_hint(home: Home) -> str:
    return f"--home {home.root}"


def night_failed(home: Home, run_id: str, stage: str | None, reason: str | None,
                 failed_checks: Sequence[str] = ()) -> Alert:
    checks = ", ".join(failed_checks)
    body = "\n".join(line for line in (
        f"Đêm chạy {run_id} của bcd35 thất bại ở bước «{stage or '?'}». Chưa công bố số liệu "
        f"mới; số liệu đã công bố trước đó vẫn giữ nguyên.",
        f"Các kiểm tra không đạt: {checks}" if checks else "",
        f"Lý do: {reason}" if reason else "",
        f"Cách xử lý: xem `bcd35 status {_home_hint(home)}` để biết lỗi, sửa tệp hoặc dữ liệu "
        f"gây lỗi, rồi chạy lại `bcd35 run {_home_hint(home)}`.",
        "",
        f"The bcd35 night {run_id} failed at the «{stage or '?'}» stage. Nothing new was "
        f"published; the figures published before stay in place.",
        f"Failed checks: {checks}" if checks else "",
        f"Reason: {reason}" if reason else "",
        f"What to do: read `bcd35 status {_home_hint(home)}`, fix the file or data at fault, "
        f"then run `bcd35 run {_home_hint(home)}` again.",
    ) if line is not None)
    return Alert("night_failed", run_id, f"bcd35: đêm chạy thất bại / night failed ({run_id})",
                 body.strip())


def withheld(home: Home, run_id: str, committee: str, year: int,
             failed_checks: Sequence[str]) -> Alert:
    checks = ", ".join(failed_checks) or "?"
    body = (
        f"Số liệu năm {year} của {committee} bị giữ lại trong đêm {run_id}: các kiểm tra không "
        f"đạt: {checks}. Người phân tích vẫn thấy bản đúng gần nhất; phần này không được xuất "
        f"báo cáo cho đến khi sửa xong.\n"
        f"Cách xử lý: xem `bcd35 status {_home_hint(home)}`, sửa các tệp của {committee} năm "
        f"{year} cho khớp, rồi chạy lại `bcd35 run`.\n\n"
        f"The {year} figures of {committee} were withheld in night {run_id}: failed checks: "
        f"{checks}. Analysts keep the last good version; no report is exported for it until "
        f"it is fixed.\n"
        f"What to do: read `bcd35 status {_home_hint(home)}`, correct the {committee} files of "
        f"{year} so they agree, then run `bcd35 run` again.")
    return Alert("withheld", f"{run_id}:{committee}:{year}",
                 f"bcd35: số liệu bị giữ lại / partition withheld ({committee} {year})", body)


@dataclass(frozen=True)
class QuarantinedFile:
    path: str  # inbox-relative
    sha256: str
    reason: str
    report: str | None  # path of the text report


def quarantined(home: Home, run_id: str, files: Sequence[QuarantinedFile]) -> Alert:
    lines_vi = [f"- inbox/{f.path}: {f.reason}" + (f"\n  Báo cáo / report: {f.report}"
                                                    if f.report else "") for f in files]
    body = "\n".join([
        f"Đêm {run_id}: {len(files)} tệp bị cách ly (không dòng nào được nạp) / "
        f"{len(files)} file(s) quarantined (nothing from them was loaded):",
        *lines_vi,
        "",
        "Cách xử lý: mở báo cáo của từng tệp (dòng, cột, giá trị, cách sửa), sửa tệp gốc rồi nộp "
        "lại đúng tên cũ; có thể kiểm tra trước bằng `bcd35 check <tệp>`.",
        "What to do: open each file's report (line, column, value, fix), correct the original "
        "and drop it again under the same name; `bcd35 check <file>` checks it first.",
    ])
    key = ",".join(sorted(f.sha256 for f in files))
    return Alert("quarantined", key,
                 f"bcd35: {len(files)} tệp bị cách ly / file(s) quarantined", body)


def stale(home: Home, last_success: datetime | None, now: datetime) -> Alert:
    if last_success is None:
        since_vi, since_en = "chưa có đêm nào thành công", "no night has succeeded yet"
        key = "never"
    else:
        hours = int((now - last_success).total_seconds() // 3600)
        stamp = last_success.isoformat(timespec="minutes")
        since_vi = f"đêm thành công gần nhất lúc {stamp} UTC, {hours} giờ trước"
        since_en = f"the last good night ended {stamp} UTC, {hours} hours ago"
        key = stamp
    day = now.date().isoformat()  # one reminder a day while it lasts
    hours_limit = int(STALE_AFTER.total_seconds() // 3600)
    body = (
        f"Kho số liệu bcd35 không được cập nhật quá {hours_limit} giờ: {since_vi}.\n"
        f"Cách xử lý: kiểm tra Airflow có đang chạy (`make up`) và DAG bcd35_nightly đã được "
        f"bật; hoặc chạy tay `bcd35 run {_home_hint(home)}` và xem `bcd35 status`.\n\n"
        f"The bcd35 warehouse has not been refreshed for over {hours_limit} hours: {since_en}.\n"
        f"What to do: check that Airflow is running (`make up`) and bcd35_nightly is unpaused; "
        f"or run `bcd35 run {_home_hint(home)}` by hand and read `bcd35 status`.")
    return Alert("stale", f"{key}@{day}",
                 "bcd35: kho số liệu không được cập nhật / warehouse stale", body)


def _connect(home: Home) -> sqlite3.Connection:
    home.state.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home.state_db, timeout=30)
    conn.execute(_SCHEMA)
    return conn


def _claim(home: Home, alert: Alert, destinations: int) -> bool:
    """Record the alert; False when it was sent before (the other path got there first)."""
    with closing(_connect(home)) as conn, conn:
        cursor = conn.execute(
            "insert or ignore into alerts_sent (event, key, sent_at, title, destinations) "
            "values (?, ?, ?, ?, ?)",
            (alert.event, alert.key, datetime.now(UTC).isoformat(timespec="seconds"),
             alert.title, destinations))
        return cursor.rowcount == 1


def sent(home: Home) -> list[tuple[str, str, str]]:
    """(event, key, sent_at) of every alert sent from this home, oldest first."""
    if not home.state_db.exists():
        return []
    with closing(_connect(home)) as conn:
        return conn.execute("select event, key, sent_at from alerts_sent "
                            "order by sent_at, rowid").fetchall()


def send(home: Home, alert: Alert, context: dict | None = None) -> bool:
    """Send ``alert`` once to every URL of ``BCD35_ALERT_URLS``; True when it went out now."""
    urls = alert_urls()
    if not urls or not _claim(home, alert, len(urls)):
        return False
    from airflow.providers.apprise.notifications.apprise import AppriseNotifier
    from apprise import NotifyType

    notifier = AppriseNotifier(body=alert.body, title=alert.title, config=urls,
                               notify_type=NotifyType.FAILURE if alert.failure
                               else NotifyType.WARNING)
    try:
        notifier.notify(context or {})
    except Exception:  # an alert that cannot go out must not fail the night a second time
        log.exception("bcd35: the %s alert could not be sent", alert.event)
    return True


# --- the events, from what the home records ---------------------------------------------------


def send_night_failed(home: Home, run_id: str, context: dict | None = None) -> bool:
    """The night ``run_id`` failed: the reason from the run log."""
    run = runs.get(home, run_id)
    reason = run.message if run else None
    if context and not reason and context.get("exception") is not None:
        reason = str(context["exception"])[:2000]
    alert = night_failed(home, run_id, run.stage if run else None, reason,
                         run.failed_checks if run else ())
    return send(home, alert, context)


def send_quarantined(home: Home, run_id: str, files: Sequence[QuarantinedFile]) -> bool:
    return bool(files) and send(home, quarantined(home, run_id, files))


def send_withheld(home: Home, run_id: str, committee: str, year: int,
                  failed_checks: Sequence[str]) -> bool:
    """For the nightly run: a partition (committee, year) was withheld."""
    return send(home, withheld(home, run_id, committee, year, failed_checks))


def _run_log(home: Home) -> list[tuple[str, str, str | None]]:
    """(status, started_at, ended_at) of every run, read without creating the run log."""
    if not home.state_db.exists():
        return []
    with closing(sqlite3.connect(home.state_db, timeout=30)) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master")}
        if "runs" not in tables:
            return []
        return conn.execute("select status, started_at, ended_at from runs").fetchall()


def last_success(home: Home) -> datetime | None:
    """When the last successful night ended (UTC, naive), from the run log."""
    stamps = [datetime.fromisoformat(ended or started) for status, started, ended
              in _run_log(home)
              if status in SUCCESS_STATUSES or status.startswith("published")]
    return max(stamps) if stamps else None


def first_run(home: Home) -> datetime | None:
    started = [datetime.fromisoformat(s) for _, s, _ in _run_log(home) if s]
    return min(started) if started else None


def check_stale(home: Home, now: datetime | None = None) -> Alert | None:
    """The stale-warehouse alert when no night has succeeded for :data:`STALE_AFTER` (sent,
    once a day while it lasts); ``None`` when the warehouse is fresh. A home whose first
    night is less than that old is not stale yet."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is not None:  # the run log's stamps are UTC without a zone
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    last = last_success(home)
    since = last or first_run(home)
    if since is None or moment - since < STALE_AFTER:
        return None
    alert = stale(home, last, moment)
    send(home, alert)
    return alert
