"""``bcd35 status``: the published build, the last runs, quarantined files, the next run.

Five tables (rich), in Vietnamese with the English beside: the published build and its
validation; the last runs with their durations and, for a failed one, the failed checks and
where the Data Docs are; the files waiting in quarantine with the reason and the fix; the inbox
entries the last run did not read (symbolic links, FIFOs, …); the next scheduled run of the
nightly DAG (its cron, read from the DAG file without importing Airflow) and whether Airflow's
scheduler (``make up``) is there to start it. Values from files are shown escaped
(:func:`bcd35.ingest.quarantine.shown`): no control character reaches the terminal.

Times are shown in the committee's time zone. On a terminal the tables have colours; anywhere
else (CI logs, a pipe) they are plain text, wide enough that no file name is cut.
"""

from __future__ import annotations

import ast
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from croniter import croniter  # Airflow's own dependency
from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from bcd35 import runs
from bcd35.alerts import status_text as alert_status
from bcd35.completeness import ReferenceError_, completeness
from bcd35.config import DAGS_DIR, Home, page_timezone
from bcd35.constants import NIGHTLY_DAG_ID
from bcd35.ingest import registry
from bcd35.ingest.quarantine import shown
from bcd35.lock import is_held
from bcd35.operator.standalone import running
from bcd35.partitions import published_partitions
from bcd35.release_index import all_releases
from bcd35.warehouse import backend, data_docs_dir, published_build, read_manifest

NIGHTLY_DAG_FILE = DAGS_DIR / "bcd35_nightly.py"
PLAIN_WIDTH = 160  # columns when stdout is not a terminal

RUN_STATUS = {
    "published": ("ĐÃ CÔNG BỐ", "green"),
    "unchanged": ("KHÔNG CÓ GÌ MỚI", "green"),
    "running": ("ĐANG CHẠY", "cyan"),
    "audit_failed": ("KHÔNG ĐẠT KIỂM TRA", "red"),
    "build_failed": ("LỖI DỰNG DỮ LIỆU", "red"),
    "failed": ("LỖI", "red"),
    "abandoned": ("BỊ NGẮT", "yellow"),
    "awaiting_confirmation": ("CHỜ XÁC NHẬN", "yellow"),
    "published_withheld": ("CÔNG BỐ MỘT PHẦN", "yellow"),
}
FIX_VI = ("Mở báo cáo, sửa các dòng được nêu, lưu đè tệp ở đúng chỗ trong inbox; lần chạy sau "
          "sẽ nạp lại.")
FIX_EN = ("Open the report, correct the lines it names, save the file over the old one in the "
          "inbox; the next run loads it.")


# --------------------------------------------------------------------------------------------
# The nightly schedule, read from the DAG file
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str


def nightly_schedule(path: Path = NIGHTLY_DAG_FILE) -> Schedule | None:
    """The ``schedule`` cron and ``start_date`` time zone of the ``@dag`` in ``path`` (AST)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "dag"):
                continue
            kwargs = {k.arg: k.value for k in deco.keywords}
            cron = kwargs.get("schedule")
            if not (isinstance(cron, ast.Constant) and isinstance(cron.value, str)):
                return None
            tz = page_timezone()
            start = kwargs.get("start_date")
            if isinstance(start, ast.Call):
                for k in start.keywords:
                    if k.arg == "tz" and isinstance(k.value, ast.Constant):
                        tz = str(k.value.value)
            return Schedule(cron.value, tz)
    return None


def next_run_after(schedule: Schedule, now: datetime) -> datetime | None:
    """The next time the cron fires after ``now``, in the schedule's time zone."""
    local = now.astimezone(ZoneInfo(schedule.timezone))
    try:
        return croniter(schedule.cron, local).get_next(datetime)
    except (ValueError, KeyError):
        return None


def nightly_is_paused(home: Home) -> bool | None:
    """Whether the nightly DAG is paused in Airflow's metadata (None: not known yet)."""
    db = home.airflow / "airflow.db"
    if not db.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2) as con:
            row = con.execute("select is_paused from dag where dag_id = ?",
                              (NIGHTLY_DAG_ID,)).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else bool(row[0])


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _parse_utc(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(stamp: str | None, tz: str | None = None) -> str:
    moment = _parse_utc(stamp)
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(tz or page_timezone())).strftime("%Y-%m-%d %H:%M:%S")


def duration(started: str | None, ended: str | None, now: datetime | None = None) -> str:
    """``1 phút 05 giây`` style: ``1m05s``; a run still going counts up to ``now``."""
    start = _parse_utc(started)
    end = _parse_utc(ended) or (now or datetime.now(UTC))
    if start is None:
        return "—"
    seconds = max(0, int((end - start).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                  show_lines=False, expand=False, pad_edge=False)
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def _data_docs_of_build(home: Home, build_id: str | None) -> str | None:
    if not build_id:
        return None
    index = data_docs_dir(backend().stem(home, build_id)) / "index.html"
    return str(index) if index.exists() else None


# --------------------------------------------------------------------------------------------
# The four parts
# --------------------------------------------------------------------------------------------


def published_part(home: Home) -> RenderableType:
    table = _table("Bản đã công bố / Published build", "", "")
    table.show_header = False
    build = published_build(home)
    if build is None:
        table.add_row("Bản / build", Text("(chưa có / none yet) — chạy / run `bcd35 run`",
                                          style="yellow"))
        return table
    manifest = read_manifest(build)
    validation = manifest.get("validation", {})
    ok = bool(validation.get("success"))
    verdict = Text("ĐẠT / passed" if ok else "KHÔNG ĐẠT / failed",
                   style="bold green" if ok else "bold red")
    verdict.append(f"  ({validation.get('n_expectations', '?')} điều kiện / expectations, "
                   f"{len(validation.get('warnings', []))} cảnh báo / warnings)", style="")
    table.add_row("Bản / build", build.name)
    table.add_row("Kiểm tra / validation", verdict)
    table.add_row("Lần chạy / run", str(manifest.get("run_id", "?")))
    table.add_row("Lập lúc / built at", local_time(manifest.get("built_at")))
    table.add_row("Phiên bản mã / code", str(manifest.get("code_version", "?"))[:12])
    started = manifest.get("started_from")
    table.add_row("Cách dựng / built as", (
        f"tăng dần từ / incremental from {started}: chỉ thay tệp đổi / only changed files"
        if started else "toàn bộ / full build"))
    if started:  # the raw kinds whose models were rebuilt (the others are the copy's)
        kinds = manifest.get("rebuilt_kinds")
        table.add_row("Dựng lại / rebuilt", ", ".join(kinds) if kinds
                      else "mọi bảng / every model")
    table.add_row("Người phân tích mở / analysts open", str(home.published))
    if manifest.get("data_docs"):  # relative to the home (absolute in older manifests)
        table.add_row("Data Docs (GX)", f"file://{home.root / manifest['data_docs']}")
    for w in validation.get("withheld", []):
        table.add_row(Text("Giữ lại / withheld", style="bold red"), Text(
            f"{w['committee_code']} {w['year']}: {', '.join(w['checks'])} — bản trước vẫn "
            "dùng / the last published version stays\n"
            + "\n".join(f"  - {shown(m)}" for m in w["messages"][:5])))
    reference = manifest.get("home_reference")
    if reference is not None:
        table.add_row("Tham chiếu / office reference",
                      f"{reference.get('n_targets', 0)} kế hoạch / targets, "
                      f"{reference.get('n_pages', 0)} trang / pages, "
                      f"{len(reference.get('problems', []))} dòng bị từ chối / rows refused"
                      + (f" ({', '.join(reference['files'])})" if reference.get("files") else
                         " (HOME/reference: chưa có tệp / no files)"))
    for w in validation.get("warnings", []):
        # Text, not a markup string: "[check_name]" would be read as a rich style and vanish
        table.add_row(Text("Cảnh báo / warning", style="yellow"),
                      Text(shown(f"[{w.get('check')}] {w.get('message_vi')} / "
                                 f"{w.get('message_en')} ({len(w.get('rows', []))})")))
    return table


def years_part(home: Home) -> RenderableType:
    """Per committee-year of the published build (and any with a release): whether it is
    complete enough for a final release, and its releases."""

    table = _table("Năm báo cáo / Report years", "Ban / committee", "Năm / year",
                   "Đủ năm / complete", "Bản phát hành / releases")
    build = published_build(home)
    releases: dict[tuple[str, int], list] = {}
    for r in all_releases(home):
        releases.setdefault((r.committee, r.year), []).append(r)
    parts = set(releases)
    manifest = read_manifest(build) if build is not None else {}
    readable = build is not None
    if build is not None:
        try:
            parts |= set(published_partitions(build))
        except duckdb.Error:  # not a warehouse file (yet): nothing to say per year
            readable = False
    for committee, year in sorted(parts):
        if not readable:
            verdict = Text("-")
        else:
            try:
                done = completeness(home, build, manifest, committee, year)
            except (ReferenceError_, duckdb.Error) as exc:
                verdict = Text(shown(str(exc)), style="red")
            else:
                style = "green" if done.complete else "yellow"
                head = ("đủ / complete" if done.complete else "chưa đủ / incomplete")
                verdict = Text(f"{head} ({done.months_covered()}/12 tháng / months)", style=style)
                for line in done.lines()[:4]:
                    verdict.append(f"\n  - {shown(line)}", style="")
        listed = "; ".join(
            f"{r.name} {'sơ bộ / provisional' if r.provisional else 'chính thức / final'} "
            f"{str(r.doc.get('released_at', ''))[:10]}"
            for r in releases.get((committee, year), [])) or "-"
        table.add_row(committee, str(year), verdict, listed)
    return table


def runs_part(home: Home, n_runs: int = 5, now: datetime | None = None) -> RenderableType:
    tz = page_timezone()
    table = _table(f"Các lần chạy gần nhất / Last runs (giờ / time: {tz})",
                   "Bắt đầu / started", "Thời lượng / duration", "Kết quả / outcome",
                   "Giai đoạn / stage", "Lần chạy / run id")
    details = Text()
    recent = runs.recent(home, limit=n_runs)
    if not recent:
        table.add_row("(chưa có / none)", "", "", "", "")
    writing = is_held(home)
    for r in recent:
        label, colour = RUN_STATUS.get(r.status, (r.status.upper(), "white"))
        outcome = Text(f"{label} / ", style=f"bold {colour}")
        outcome.append(r.status, style=colour)
        if r.status == "running" and not writing:  # killed: the next run records it
            outcome = Text(f"{RUN_STATUS['abandoned'][0]} / abandoned (killed)", style="yellow")
        table.add_row(local_time(r.started_at, tz), duration(r.started_at, r.ended_at, now),
                      outcome, r.stage or "", r.run_id)
        lines = []
        if r.failed_checks:
            lines.append(("kiểm tra không đạt / failed checks: ", ", ".join(r.failed_checks)))
        docs = _data_docs_of_build(home, r.build_id)
        if docs and r.status == "audit_failed":
            lines.append(("Data Docs (GX): ", f"file://{docs}"))
        if r.message and r.status not in ("published", "audit_failed", "published_withheld") \
                and r.message.strip():
            lines.append(("lỗi / error: ", shown(r.message.strip().splitlines()[0][:300])))
        if lines:
            details.append(f"{r.run_id} ({r.status})\n", style="bold")
            for label_, value in lines:
                details.append(f"  {label_}", style=colour)
                details.append(f"{value}\n")
    if not details:
        return table
    return Group(table, Text("Chi tiết / details", style="bold"), details)


def quarantine_part(home: Home) -> RenderableType:
    quarantined = registry.quarantined_files(home, include_superseded=False)
    table = _table(f"Tệp bị cách ly / Quarantined files: {len(quarantined)}",
                   "Tệp / file", "Lỗi / errors", "Lý do / reason")
    if not quarantined:
        table.add_row("(không có / none)", "", "")
        return table
    reports = Text(no_wrap=True, overflow="ignore")  # a link is never cut, whatever the width
    for f in quarantined:
        table.add_row(f"{f.original_path}\n(sha256 {f.sha256[:12]})", str(f.error_count),
                      shown(f.reason or ""))
        report = f.report_file(home)
        if report is None:
            continue
        page = report.with_suffix(".html")
        reports.append(f"  {f.original_path}: ")
        reports.append(f"file://{page}\n" if page.exists() else f"{report}\n", style="cyan")
    fix = Text("Cách sửa / fix: ", style="bold")
    fix.append(f"{FIX_VI}\n  {FIX_EN}\n")
    if reports:
        fix.append("Báo cáo từng tệp (dòng, cột, giá trị, cách sửa) / report of each file "
                   "(line, column, value, fix):", style="bold")
        return Group(table, fix, reports)
    return Group(table, fix)


def corrections_part(home: Home, limit: int = 20) -> RenderableType:
    """Loaded files taken back (superseded by a new version, or withdrawn from the inbox), and
    loaded files still in effect because the new version at their path was quarantined."""
    retracted = registry.retracted_files(home)
    table = _table(f"Tệp đã thay thế hoặc rút / Superseded or withdrawn files: {len(retracted)}",
                   "Tệp / file", "Trạng thái / state", "Lúc / when", "Lần chạy / run")
    if not retracted:
        table.add_row("(không có / none)", "", "", "")
    names = {f.sha256: f.original_path for f in registry.list_files(home)}
    for f in retracted[:limit]:
        state = ("thay thế / superseded by " + names.get(f.superseded_by or "", "?")
                 if f.retracted == registry.SUPERSEDED else "rút / withdrawn")
        table.add_row(Text(f"{shown(f.original_path)}\n(sha256 {f.sha256[:12]}, {f.rows} "
                           "dòng / rows)"), Text(shown(state)), local_time(f.retracted_at),
                      f.retracted_run or "")
    if len(retracted) > limit:
        table.add_row(f"(+{len(retracted) - limit} tệp khác / more)", "", "", "")
    kept = registry.kept_over_quarantined(home)
    if not kept:
        return table
    note = Text("Bản cũ vẫn có hiệu lực vì bản mới bị cách ly / old version still in effect "
                "because the new one was quarantined:\n", style="bold yellow")
    for f, newer in kept:
        note.append(f"  {shown(newer.original_path)}: {f.sha256[:12]} ({f.rows} dòng / rows) "
                    f"giữ nguyên / kept; {newer.sha256[:12]} cách ly / quarantined\n")
    return Group(table, note)


def skipped_part(home: Home) -> RenderableType:
    """Inbox entries the last run did not read (symbolic links, FIFOs, devices, unreadable)."""
    entries = registry.skipped_entries(home)
    table = _table(f"Mục trong inbox không đọc / Inbox entries not read: {len(entries)}",
                   "Mục / entry", "Lý do / reason", "Lúc / seen at")
    if not entries:
        table.add_row("(không có / none)", "", "")
    for path, reason, seen_at in entries:
        table.add_row(path, shown(reason), local_time(seen_at))
    return table


def schedule_part(home: Home, now: datetime | None = None) -> RenderableType:

    table = _table("Lần chạy theo lịch tiếp theo / Next scheduled run", "", "")
    table.show_header = False
    schedule = nightly_schedule()
    if schedule is None:
        table.add_row("Lịch / schedule", "(không đọc được / unknown)")
        return table
    nxt = next_run_after(schedule, now or datetime.now(UTC))
    table.add_row("Lúc / at", f"{nxt:%Y-%m-%d %H:%M} ({schedule.timezone})" if nxt else "—")
    table.add_row("Lịch / cron", f"{schedule.cron}  (DAG {NIGHTLY_DAG_ID})")
    ui = running(home)
    paused = nightly_is_paused(home)
    if ui is None:
        table.add_row("Airflow", Text(
            "không chạy: lịch chỉ chạy khi có `make up` (hoặc chạy `bcd35 run` bằng cron) / "
            "not running: the schedule fires only under `make up` (or run `bcd35 run` from "
            "cron)", style="yellow"))
    else:
        table.add_row("Airflow", Text(f"đang chạy / running: {ui.url} (pid {ui.pid})",
                                      style="green"))
    if paused:
        table.add_row("DAG", Text("đang tạm dừng: bật trong giao diện Airflow / paused: "
                                  "unpause it in the Airflow UI", style="yellow"))
    elif paused is False:
        table.add_row("DAG", "đang bật / unpaused")
    table.add_row("Cảnh báo / alerts", alert_status())
    return table


def status_renderable(home: Home, n_runs: int = 5, now: datetime | None = None) -> Group:
    return Group(Text(f"bcd35 — {home.root}", style="bold"), published_part(home),
                 years_part(home), runs_part(home, n_runs, now), quarantine_part(home),
                 skipped_part(home), corrections_part(home), schedule_part(home, now))


def print_status(home: Home, stream=None, n_runs: int = 5) -> None:
    """Colours on a terminal; plain text, :data:`PLAIN_WIDTH` wide, anywhere else."""
    stream = stream or sys.stdout
    if stream.isatty():
        Console(file=stream).print(status_renderable(home, n_runs), crop=False)
    else:
        stream.write(render_status(home, n_runs))
        stream.flush()


def render_status(home: Home, n_runs: int = 5, width: int = PLAIN_WIDTH,
                  now: datetime | None = None) -> str:
    """The status as plain text (no colours, no trailing blanks), ``width`` columns wide."""
    buffer = StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False,
            highlight=False).print(status_renderable(home, n_runs, now), crop=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().rstrip().splitlines()) + "\n"
