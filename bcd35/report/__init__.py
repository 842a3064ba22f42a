"""The validated annual report (SPEC §7), written from the published build only."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bcd35 import runs
from bcd35.config import Home
from bcd35.publish import published_build, read_manifest
from bcd35.report.kpis import read_annual_kpis
from bcd35.report.writers import write_csv, write_json, write_xlsx


class ReportRefused(RuntimeError):
    """The report would not be backed by a validated, current build."""


@dataclass(frozen=True)
class Report:
    year: int
    directory: Path
    files: list[Path]
    build_id: str


def _check_publishable(home: Home, allow_stale: bool) -> tuple[Path, dict]:
    build = published_build(home)
    if build is None or not build.exists():
        raise ReportRefused(
            "Chưa có bản dữ liệu nào được kiểm tra và công bố: chạy `bcd35 run` trước. / "
            "No validated build has been published yet: run `bcd35 run` first."
        )
    manifest = read_manifest(build)
    if not manifest.get("validation", {}).get("success"):
        raise ReportRefused(
            f"Bản dữ liệu {build.name} không đạt kiểm tra. / "
            f"The published build {build.name} did not pass validation."
        )
    last = next(iter(runs.recent(home, limit=1)), None)
    if last is not None and last.status in runs.FAILED_FIGURES and not allow_stale:
        checks = ", ".join(last.failed_checks) or last.status
        raise ReportRefused(
            f"Lần chạy gần nhất ({last.run_id}) không đạt kiểm tra ({checks}); số liệu đã công "
            f"bố là của lần chạy {manifest['run_id']}. Sửa tệp nguồn rồi chạy lại `bcd35 run`, "
            "hoặc dùng --allow-stale để lập báo cáo từ bản đã công bố. / "
            f"The last run ({last.run_id}) failed its checks ({checks}); the published figures "
            f"are from run {manifest['run_id']}. Fix the source files and run `bcd35 run` "
            "again, or pass --allow-stale to report from the published build."
        )
    return build, manifest


def write_report(home: Home, year: int, committee: str, allow_stale: bool = False) -> Report:
    build, manifest = _check_publishable(home, allow_stale)
    rows = read_annual_kpis(build, committee, year)
    if not rows:
        raise ReportRefused(
            f"Không có số liệu năm {year} cho {committee} trong bản đã công bố. / "
            f"The published build has no figures for {year} ({committee})."
        )
    target = home.exports / str(year)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{year}.", dir=target.parent))
    staging.chmod(0o755)
    try:
        files = [staging / f"kpi_{year}.json", staging / f"kpi_{year}.csv",
                 staging / f"bao_cao_kpi_{year}.xlsx"]
        write_json(files[0], year, manifest, rows)
        write_csv(files[1], rows)
        write_xlsx(files[2], year, _committee_name(build, committee), rows)
        pack = staging / "audit"
        pack.mkdir()
        (pack / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8")
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Report(year=year, directory=target, build_id=manifest["build_id"],
                  files=[target / f.name for f in files] + [target / "audit" / "manifest.json"])


def _committee_name(build: Path, committee: str) -> str:
    import duckdb

    with duckdb.connect(str(build), read_only=True) as con:
        row = con.execute("select name_vi from marts.dim_committee where committee_code = ?",
                          [committee]).fetchone()
    return row[0] if row else committee


def _swap_in(staging: Path, target: Path) -> None:
    """Replace the year's folder as a whole: readers see the old or the new report."""
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)
