"""The ``bcd35`` command (SPEC §6): run, report, release, status, rollback, demo, sql, up,
down."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
from functools import partial
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from bcd35 import alerts, runs
from bcd35 import settings as settings_module
from bcd35.children import EXIT_ON_STOP_ENV, Stopped, stop_on_signals
from bcd35.clerk.check import check_files, render_text
from bcd35.clerk.templates import write_templates
from bcd35.config import DEMO_INBOX, PRIVATE_UMASK, Home, committee_code, resolve_home
from bcd35.fingerprint import FORCE_ENV
from bcd35.ingest.quarantine import shown as escaped
from bcd35.lock import DEFAULT_WAIT_SECONDS, HomeBusy, writer_lock
from bcd35.operator.progress import run_progress, spinner
from bcd35.operator.standalone import StandaloneError, down, log_file, running, up
from bcd35.orchestrate import run_nightly
from bcd35.outcomes import Outcome, most_serious, render_table


def shown(text: str) -> str:
    """A value from a file, control characters escaped (imported late: keeps the CLI light)."""

    return escaped(text)


def shown_lines(text: str) -> str:
    """A message of several lines (the partitions withheld, each with its rows): each line
    escaped and shortened on its own, so that a long one never cuts the next partition off."""
    return "\n".join(shown(line) for line in text.splitlines())


def _home(args: argparse.Namespace) -> Home:
    return resolve_home(args.home).ensure()


def cmd_run(args: argparse.Namespace) -> int:
    # The lock first, before Airflow is imported: a second writer costs nothing and exits fast.

    home = _home(args)

    def waiting(holder: str) -> None:
        print(f"Đang chờ: một tiến trình khác đang ghi vào thư mục này ({holder}); chờ tối đa "
              f"{args.wait:.0f} giây… / Waiting: another writer holds this home ({holder}); "
              f"waiting up to {args.wait:.0f} s…", file=sys.stderr, flush=True)

    try:
        with writer_lock(home, "bcd35 run", wait=args.wait, on_wait=waiting):
            code = int(_run_locked(home, args))
    except HomeBusy as exc:
        print(f"BẬN / BUSY: {exc}", file=sys.stderr)
        return int(Outcome.LOCKED)
    end_process(code)


def end_process(code: int) -> NoReturn:
    """End ``bcd35 run``'s process once the night is over: the ``atexit`` handlers run (logging,
    Airflow's database engine, multiprocessing) and the output is flushed, but the interpreter
    does not tear down the objects of every module Airflow, pandas and Great Expectations
    loaded, 3–4 s after every night (docs/performance.md#fixed-cost-of-a-small-night). Every
    file and database the run wrote is closed (and synced where it must be) by then."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run_locked(home: Home, args: argparse.Namespace) -> int:

    os.environ[EXIT_ON_STOP_ENV] = str(os.getpid())
    try:
        with stop_on_signals():
            return _run_nightly(home, args)
    except Stopped as exc:
        abandoned = runs.abandon_running(home, str(exc))
        print(f"BỊ NGẮT / ABANDONED: {exc}; lần chạy / run {', '.join(abandoned) or '-'} ghi là "
              "bị ngắt, không công bố gì / recorded as abandoned, nothing published",
              file=sys.stderr)
        return int(Outcome.ABANDONED)


def _run_nightly(home: Home, args: argparse.Namespace) -> int:

    if args.force:

        os.environ[FORCE_ENV] = "1"
    if args.accept_withdrawals:
        from bcd35.nightly import ACCEPT_WITHDRAWALS_ENV

        os.environ[ACCEPT_WITHDRAWALS_ENV] = "1"
    from bcd35 import nightly

    print(f"bcd35 run — home {home.root}", flush=True)
    with run_progress(home):
        # dbt parses the project while Airflow starts and the ingest runs (bcd35.parse_ahead)
        run_id, state = run_nightly(home, ahead=partial(nightly.prepare_build, home))
    run = runs.get(home, run_id)
    if run is not None and run.files:
        print(files_summary(home, run.files))
    quarantined = bool(run and run.files and run.files.get("quarantined"))
    if state == "success" and run is not None and run.status == "published":
        print(f"OK: run {run_id} published build {run.build_id}")
        _print_warnings(home)
        return int(most_serious({Outcome.QUARANTINED} if quarantined else set()))
    if state == "success" and run is not None and run.status == "published_withheld":
        print(f"CÔNG BỐ MỘT PHẦN / PUBLISHED WITH WITHHELD PARTITIONS: run {run_id}, build "
              f"{run.build_id}")
        print(shown_lines(run.message or ""), file=sys.stderr)
        _print_warnings(home)
        return int(most_serious({Outcome.WITHHELD, *([Outcome.QUARANTINED] * quarantined)}))
    if state == "success" and run is not None and run.status == "unchanged":
        print(f"OK: run {run_id}: không có gì mới / nothing new — build {run.build_id} "
              f"stays published (nothing rebuilt; `bcd35 run --force` rebuilds)")
        return int(most_serious({Outcome.QUARANTINED} if quarantined else set()))
    if run is not None and run.status == "abandoned":
        print(f"BỊ NGẮT / ABANDONED: run {run_id} ({run.stage}): {run.message or ''}",
              file=sys.stderr)
        return int(Outcome.ABANDONED)
    if run is not None and run.status == "awaiting_confirmation":
        print(f"DỪNG / STOPPED: run {run_id}: {shown(run.message or '')}", file=sys.stderr)
        return int(Outcome.WITHDRAWALS_PENDING)
    print(f"THẤT BẠI / FAILED: run {run_id} ended {state}"
          + (f" ({run.status} at {run.stage})" if run else ""), file=sys.stderr)
    if run and run.failed_checks:
        print("Các kiểm tra không đạt / failed checks: " + ", ".join(run.failed_checks),
              file=sys.stderr)
    if run and run.message:
        print(shown_lines(run.message), file=sys.stderr)
    return int(Outcome.BLOCKED)


MAX_LISTED = 20  # entries of one kind listed by `bcd35 run`; `bcd35 status` has the rest


def files_summary(home: Home, files: dict) -> str:
    """What the run did with each inbox entry: loaded, quarantined (with the fix), skipped
    and why. Values from files are escaped (control characters never reach the terminal)."""
    def listed(items: list, line) -> list[str]:
        out = [line(item) for item in items[:MAX_LISTED]]
        if len(items) > MAX_LISTED:
            out.append(f"    … và / and {len(items) - MAX_LISTED} nữa / more")
        return out

    loaded, quarantined = files.get("loaded", []), files.get("quarantined", [])
    skipped = files.get("skipped", [])
    same = [f for f in skipped if f.get("same_bytes")]
    refused = [f for f in skipped if not f.get("same_bytes")]
    lines = [f"Đã nạp / loaded: {len(loaded)} tệp / files"]
    lines += listed(loaded, lambda f: f"  + {f['file']} [{','.join(f['kinds'])}] "
                                      f"{f['rows']} dòng / rows")
    lines.append(f"Cách ly / quarantined: {len(quarantined)} tệp mới / new files")
    lines += listed(quarantined, lambda f: (
        f"  ! {f['file']}: {shown(f.get('reason') or '')}\n"
        f"    sửa / fix: {home.root / f['report'] if f.get('report') else '-'}"))
    if quarantined:
        from bcd35.status import FIX_EN, FIX_VI

        lines.append(f"    {FIX_VI}\n    {FIX_EN}")
    lines.append(f"Bỏ qua / skipped: {len(skipped)} ({len(same)} đã có, cùng nội dung / "
                 f"already seen, same bytes; {len(refused)} không đọc / not read)")
    lines += listed(refused, lambda f: f"  - {f['file']}: {shown(f.get('reason') or '')}")
    lines += listed(same, lambda f: f"  = {f['file']}: {shown(f.get('reason') or '')}")
    for key, title, mark in (
            ("superseded", "Thay thế / superseded", "~"),
            ("withdrawn", "Rút khỏi kho / withdrawn", "-"),
            ("kept", "Giữ bản cũ, bản mới bị cách ly / old version kept, new one quarantined",
             "!"),
            ("pending_withdrawals", "Chờ xác nhận rút / withdrawals awaiting confirmation",
             "?")):
        if files.get(key):
            lines.append(f"{title}: {len(files[key])} tệp / files")
            lines += listed(files[key], lambda f, m=mark: f"  {m} {shown(f['file'])}: "
                                                         f"{shown(f.get('reason') or '')}")
    return "\n".join(lines)


def _print_warnings(home: Home) -> None:
    from bcd35.warehouse import published_build, read_manifest

    build = published_build(home)
    warnings = read_manifest(build)["validation"]["warnings"] if build else []
    for w in warnings:
        rows = "".join(f"\n    - {shown(r)}" for r in w["rows"])  # rows quote file values
        print(f"Cảnh báo / warning [{w['check']}] {w['message_vi']} / {w['message_en']}{rows}")


def cmd_report(args: argparse.Namespace) -> int:
    from bcd35.report import ReportRefused, write_report
    from bcd35.report.table import render_kpi_table

    home = _home(args)
    try:
        report = write_report(home, args.year, args.committee or committee_code(),
                              allow_stale=args.allow_stale)
    except ReportRefused as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    print(render_kpi_table(report))
    print(f"\nBáo cáo / report (build {report.build_id}) → {report.directory}")
    for path in report.files:
        print(f"  {path.relative_to(report.directory)}")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    """Freeze the published figures of a committee-year as the next release rN."""
    from bcd35.release import ReleaseRefused, create_release
    from bcd35.report import ReportRefused

    home = _home(args)
    committee = args.committee or committee_code()
    try:
        with writer_lock(home, "bcd35 release", wait=args.wait):
            release = create_release(home, args.year, committee, provisional=args.provisional,
                                     note=args.note)
    except HomeBusy as exc:
        print(f"BẬN / BUSY: {exc}", file=sys.stderr)
        return int(Outcome.LOCKED)
    except (ReleaseRefused, ReportRefused) as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    kind = ("SƠ BỘ / provisional (năm chưa kiểm tra đủ / year completeness not checked)"
            if release.provisional else "CHÍNH THỨC / final")
    print(f"Bản phát hành / release {release.name} {committee} {args.year}: {kind}")
    print(f"  build {release.doc['build_id']} → {release.directory}")
    print(f"  {len(release.doc['files'])} tệp / files, {len(release.doc['sources'])} tệp nguồn / "
          "source files; chỉ đọc / read-only")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What changed between two releases of a year, or since the latest one (reads only)."""
    from bcd35.release import ReleaseRefused, diff
    from bcd35.report import ReportRefused
    from bcd35.restatement import render_text

    if len(args.releases) > 2:
        print("Nhiều nhất hai bản / at most two releases: rA [rB]", file=sys.stderr)
        return 2
    try:
        restatement = diff(resolve_home(args.home), args.year,
                           args.committee or committee_code(), args.releases)
    except (ReleaseRefused, ReportRefused) as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    # file names come from the inbox: escaped line by line
    print("\n".join(shown(line) for line in render_text(restatement).splitlines()))
    return 0


def cmd_verify_release(args: argparse.Namespace) -> int:
    """Re-hash a release and rebuild its figures from the kept originals (reads the home)."""
    from bcd35.verify import verify_release

    release = Path(args.path)
    if not (release / "RELEASE.json").is_file():
        print(f"TỪ CHỐI / REFUSED: {release} không phải một bản phát hành (thiếu RELEASE.json) / "
              "is not a release (no RELEASE.json)", file=sys.stderr)
        return 2
    how = ("chỉ băm lại / hashes only" if args.hashes_only else
           "dựng lại từ bản gốc / rebuilding from the originals")
    print(f"Đang kiểm tra / verifying {release} ({how})…", flush=True)
    home = resolve_home(args.home) if args.home else None
    result = verify_release(release, home=home, keep=Path(args.keep) if args.keep else None,
                            rebuild_figures=not args.hashes_only)
    for line in result.checked:
        print(f"  ✓ {line}")
    for line in result.problems:
        print(f"  ✗ {shown(line)}", file=sys.stderr)
    if result.ok:
        print("KHỚP / VERIFIED: " + ("mọi tệp và bản gốc khớp / every file and original matches"
                                     if args.hashes_only else "mọi tệp và mọi số liệu khớp / "
                                     "every file and figure matches"))
        return 0
    print(f"KHÔNG KHỚP / NOT VERIFIED: {len(result.problems)} vấn đề / problems",
          file=sys.stderr)
    return 1


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the home, safe while a night runs (it does not wait for it)."""
    from bcd35.backup import BackupError, backup

    try:
        doc = backup(_home(args), Path(args.dest).resolve(), with_secrets=args.with_secrets)
    except BackupError as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    print(f"Sao lưu / backup → {args.dest}: {len(doc['files'])} tệp / files, build "
          f"{doc['build'] or '-'}" + ("" if args.with_secrets else
                                      " (không gồm khoá bí mật / secrets not included)"))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from bcd35.backup import BackupError, restore

    home = resolve_home(args.home)
    try:
        doc = restore(Path(args.src).resolve(), home)
    except (BackupError, OSError) as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    print(f"Khôi phục / restored {len(doc['files'])} tệp / files → {home.root} (build "
          f"{doc['build'] or '-'}, sao lưu lúc / backed up at {doc['started_at']})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from bcd35.status import print_status

    print_status(_home(args))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start Airflow's UI (``airflow standalone``) over this home, in the background."""

    home = _home(args)
    before = running(home)
    try:
        with spinner(f"Đang khởi động Airflow / starting Airflow on port {args.port}"):
            ui = up(home, args.port)
    except StandaloneError as exc:
        print(f"THẤT BẠI / FAILED: {exc}", file=sys.stderr)
        return 1
    state = "đã chạy từ trước / already running" if before else "đã sẵn sàng / ready"
    print(f"Airflow {state}: {ui.url}  (pid {ui.pid})")
    print(f"  đăng nhập / log in: admin, mật khẩu trong / password in {ui.passwords_file}")
    print(f"  nhật ký / log: {log_file(home)}")
    print("  DAG bcd35_nightly mới tạo thì tạm dừng: bật trong giao diện để chạy theo lịch. / "
          "A new DAG starts paused: unpause bcd35_nightly in the UI to run it on schedule.")
    print("  Dừng / stop: make down")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    """The analysts' read-only SQL shell (DuckDB CLI) on the published warehouse."""
    from bcd35.sql import open_shell

    return open_shell(_home(args))


def cmd_down(args: argparse.Namespace) -> int:

    pid = down(_home(args))
    print(f"Airflow đã dừng / stopped (pid {pid})" if pid
          else "Airflow không chạy / was not running")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from bcd35.warehouse import PublishRefused, backend

    home = _home(args)
    try:
        with writer_lock(home, "bcd35 rollback", wait=args.wait):
            warehouse = backend()
            before = warehouse.published_id(home)
            after = warehouse.rollback(home)
    except HomeBusy as exc:
        print(f"BẬN / BUSY: {exc}", file=sys.stderr)
        return int(Outcome.LOCKED)
    except PublishRefused as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    print(f"Rolled back: {before or '-'} → {after}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Copy the demo inbox of seeds/demo into HOME/inbox/demo (files already there are kept)
    and the demo's page list into HOME/reference/pages.csv (unless the home has one)."""
    home = _home(args)
    target = home.inbox / "demo"
    target.mkdir(parents=True, exist_ok=True)
    n = 0
    for src in sorted(Path(DEMO_INBOX).iterdir()):
        if src.is_file():
            shutil.copy2(src, target / src.name)
            n += 1
    print(f"{n} demo files copied to {target}")
    # the demo page is the committee's: listed as the office would list it (kept if present)
    pages = home.root / "reference" / "pages.csv"
    if not pages.exists():
        pages.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(Path(DEMO_INBOX).parent / "reference" / "pages.csv", pages)
        print(f"demo page list copied to {pages}")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:

    for path in write_templates(Path(args.out)):
        print(path)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check files before they are dropped; writes nothing (a home is only read)."""

    if args.as_path and len(args.files) != 1:
        print("--as chỉ dùng với một tệp / --as takes exactly one file", file=sys.stderr)
        return 2
    home = resolve_home(args.home) if args.home else None
    try:
        checks = check_files([Path(f) for f in args.files], home, args.committee, args.as_path)
    except ValueError as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"ok": all(c.ok for c in checks),
                          "files": [c.to_json() for c in checks]}, ensure_ascii=False, indent=2))
    else:
        print(render_text(checks))
    return 0 if all(c.ok for c in checks) else 1


def cmd_alerts(args: argparse.Namespace) -> int:
    """``alerts check``: the stale-warehouse check the watchdog DAG runs, for cron."""

    home = _home(args)
    print(f"Cảnh báo / alerts: {alerts.status_text()}")
    alert = alerts.check_stale(home)
    if alert is None:
        print("Kho số liệu được cập nhật / warehouse fresh: có đêm thành công trong 36 giờ / "
              "a night succeeded within 36 hours")
        return 0
    print(alert.body)
    return 1


def cmd_upload(args: argparse.Namespace) -> int:
    """The clerks' upload page on 127.0.0.1 (login in HOME/secrets/upload.json)."""
    from bcd35.clerk.upload.app import credentials, secrets_file, serve

    home = _home(args)
    committee = args.committee or committee_code()
    login = credentials(home)
    print(f"Trang nộp tệp / upload page: http://{args.host}:{args.port}/  (ban / committee "
          f"{committee})", flush=True)
    print(f"  đăng nhập / log in: {login['user']}, mật khẩu trong / password in "
          f"{secrets_file(home)}", flush=True)
    serve(home, committee, args.host, args.port)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """The effective ``BCD35_*`` settings, secrets masked (``--markdown``: the docs' table)."""

    if args.markdown:
        print(settings_module.markdown_table(), end="")
        return 0
    try:
        current = settings_module.settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = settings_module.env_name(str(error["loc"][0]))
            print(f"bcd35 config: {name}={error.get('input')!r}: {error['msg']}",
                  file=sys.stderr)
        return 1
    print(settings_module.render(current), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bcd35", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--home", help="home directory (default: $BCD35_HOME, else ./var)")
        p.set_defaults(func=func)
        return p

    run = add("run", cmd_run, "one nightly run through Airflow's DAG test runner")
    run.formatter_class = argparse.RawDescriptionHelpFormatter
    run.epilog = render_table()
    run.add_argument("--wait", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS",
                     help="how long to wait for another writer of the home before giving up "
                          f"with exit code 6 (default {DEFAULT_WAIT_SECONDS:.0f})")
    run.add_argument("--force", action="store_true",
                     help="build, audit and publish even when nothing changed since the "
                          "published build")
    run.add_argument("--accept-withdrawals", action="store_true",
                     help="withdraw the loaded files gone from the inbox even when they are "
                          "more than 10%% of the loaded files")
    report = add("report", cmd_report, "write the validated annual report for a year")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--committee", help="committee code (default: the home's committee)")
    report.add_argument("--allow-stale", action="store_true",
                        help="report from the published build even if the last run failed")
    release = add("release", cmd_release, "freeze the published figures of a year as a "
                  "release (HOME/releases/<committee>/<Y>/rN/)")
    release.add_argument("--year", type=int, required=True)
    release.add_argument("--committee", help="committee code (default: the home's committee)")
    release.add_argument("--provisional", action="store_true",
                         help="a provisional release: the year's completeness is not checked")
    release.add_argument("--note", required=True, help="why this release (kept in RELEASE.json)")
    release.add_argument("--wait", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS",
                         help="how long to wait for another writer of the home (exit 6)")
    diff_ = add("diff", cmd_diff, "what changed between two releases of a year, or since "
                 "the latest one")
    diff_.add_argument("--year", type=int, required=True)
    diff_.add_argument("--committee", help="committee code (default: the home's committee)")
    diff_.add_argument("releases", nargs="*", metavar="rN",
                       help="rA [rB]: from rA (default: the latest release) to rB (default: "
                            "the figures published now)")
    verify = add("verify-release", cmd_verify_release, "re-hash a release and rebuild its "
                 "figures from the kept originals; exit 0 only when all match (--home: the home "
                 "whose originals to use; default: the home the release is in)")
    verify.add_argument("path", metavar="PATH", help="HOME/releases/<committee>/<Y>/rN")
    verify.add_argument("--keep", metavar="DIR", help="rebuild in DIR and keep it (default: a "
                        "temporary folder, removed)")
    verify.add_argument("--hashes-only", action="store_true",
                        help="only re-hash the files and the originals (no rebuild)")
    backup_ = add("backup", cmd_backup, "a consistent copy of the home into DEST (safe while "
                  "a night runs)")
    backup_.add_argument("dest", metavar="DEST")
    backup_.add_argument("--with-secrets", action="store_true",
                         help="include HOME/secrets (the pseudonym key and passwords)")
    restore_ = add("restore", cmd_restore, "bring a backup back into a new home (--home DIR)")
    restore_.add_argument("src", metavar="SRC")
    add("status", cmd_status, "published build, last runs, quarantined files, next run")
    up_ = add("up", cmd_up, "start Airflow's UI (standalone) in the background")
    up_.add_argument("--port", type=int, default=8080, help="API/UI port on 127.0.0.1")
    add("down", cmd_down, "stop what `bcd35 up` started")
    add("sql", cmd_sql, "read-only SQL shell on the published warehouse (for analysts)")
    rollback_ = add("rollback", cmd_rollback, "return analysts to the previously published build")
    rollback_.add_argument("--wait", type=float, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS",
                           help="how long to wait for another writer of the home (exit 6)")
    add("demo", cmd_demo, "copy the demo inbox into HOME/inbox/demo")
    templates = sub.add_parser("templates", help="write the XLSX templates for the clerks")
    templates.add_argument("--out", required=True, help="folder to write them into")
    templates.set_defaults(func=cmd_templates)
    check = sub.add_parser("check", help="what files would become if dropped (writes nothing)")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--home", help="compare with the files this home has seen (read only)")
    check.add_argument("--committee", help="as if dropped into inbox/COMMITTEE/")
    check.add_argument("--as", dest="as_path", metavar="PATH",
                       help="as if dropped at this path under the inbox (one file)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=cmd_check)
    alerts = add("alerts", cmd_alerts, "alerts: `alerts check` sends the stale-warehouse alert "
                 "when no night succeeded for 36 hours (for cron)")
    alerts.add_argument("action", choices=["check"])
    config = sub.add_parser("config", help="the effective BCD35_* settings (secrets masked)")
    config.add_argument("--markdown", action="store_true",
                        help="the table of every setting and its default (docs/settings.md)")
    config.set_defaults(func=cmd_config)
    upload = add("upload", cmd_upload, "the clerks' upload page (login, 127.0.0.1)")
    upload.add_argument("--port", type=int, default=8090)
    upload.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    upload.add_argument("--committee", help="committee folder files go into (default: the "
                        "home's committee)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.umask(PRIVATE_UMASK)  # what a writer creates is for the owner and the analysts' group
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
