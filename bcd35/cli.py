"""The ``bcd35`` command (SPEC §6): run, report, status, rollback, demo, sql, up, down."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from bcd35.config import DEMO_INBOX, Home, committee_code, resolve_home


def _home(args: argparse.Namespace) -> Home:
    return resolve_home(args.home).ensure()


def cmd_run(args: argparse.Namespace) -> int:
    from bcd35 import runs
    from bcd35.operator.progress import run_progress
    from bcd35.orchestrate import run_nightly

    home = _home(args)
    if args.force:
        from bcd35.fingerprint import FORCE_ENV

        os.environ[FORCE_ENV] = "1"
    print(f"bcd35 run — home {home.root}", flush=True)
    with run_progress(home):
        run_id, state = run_nightly(home)
    run = runs.get(home, run_id)
    if state == "success" and run is not None and run.status == "published":
        print(f"OK: run {run_id} published build {run.build_id}")
        _print_warnings(home)
        return 0
    if state == "success" and run is not None and run.status == "unchanged":
        print(f"OK: run {run_id}: không có gì mới / nothing new — build {run.build_id} "
              f"stays published (nothing rebuilt; `bcd35 run --force` rebuilds)")
        return 0
    print(f"THẤT BẠI / FAILED: run {run_id} ended {state}"
          + (f" ({run.status} at {run.stage})" if run else ""), file=sys.stderr)
    if run and run.failed_checks:
        print("Các kiểm tra không đạt / failed checks: " + ", ".join(run.failed_checks),
              file=sys.stderr)
    if run and run.message:
        print(run.message, file=sys.stderr)
    return 1


def _print_warnings(home: Home) -> None:
    from bcd35.publish import published_build, read_manifest

    build = published_build(home)
    warnings = read_manifest(build)["validation"]["warnings"] if build else []
    for w in warnings:
        rows = "".join(f"\n    - {r}" for r in w["rows"])
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


def cmd_status(args: argparse.Namespace) -> int:
    from bcd35.status import print_status

    print_status(_home(args))
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    """Start Airflow's UI (``airflow standalone``) over this home, in the background."""
    from bcd35.operator.progress import spinner
    from bcd35.operator.standalone import StandaloneError, log_file, running, up

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
    from bcd35.operator.standalone import down

    pid = down(_home(args))
    print(f"Airflow đã dừng / stopped (pid {pid})" if pid
          else "Airflow không chạy / was not running")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from bcd35.publish import PublishRefused, published_build, rollback

    home = _home(args)
    before = published_build(home)
    try:
        after = rollback(home)
    except PublishRefused as exc:
        print(f"TỪ CHỐI / REFUSED: {exc}", file=sys.stderr)
        return 2
    print(f"Rolled back: {before.name if before else '-'} → {after.name}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bcd35", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_)
        p.add_argument("--home", help="home directory (default: $BCD35_HOME, else ./var)")
        p.set_defaults(func=func)
        return p

    run = add("run", cmd_run, "one nightly run through Airflow's DAG test runner")
    run.add_argument("--force", action="store_true",
                     help="build, audit and publish even when nothing changed since the "
                          "published build")
    report = add("report", cmd_report, "write the validated annual report for a year")
    report.add_argument("--year", type=int, required=True)
    report.add_argument("--committee", help="committee code (default: the home's committee)")
    report.add_argument("--allow-stale", action="store_true",
                        help="report from the published build even if the last run failed")
    add("status", cmd_status, "published build, last runs, quarantined files, next run")
    up_ = add("up", cmd_up, "start Airflow's UI (standalone) in the background")
    up_.add_argument("--port", type=int, default=8080, help="API/UI port on 127.0.0.1")
    add("down", cmd_down, "stop what `bcd35 up` started")
    add("sql", cmd_sql, "read-only SQL shell on the published warehouse (for analysts)")
    add("rollback", cmd_rollback, "return analysts to the previously published build")
    add("demo", cmd_demo, "copy the demo inbox into HOME/inbox/demo")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
