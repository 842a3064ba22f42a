"""The validated annual report (SPEC §7), written from the published build only.

``exports/Y/`` (``exports/<committee>/Y/`` for a committee other than the home's own) holds
``kpi_Y.json``, ``kpi_Y.csv``, ``bao_cao_kpi_Y.xlsx``, the draft report ``bao_cao_Y.docx``, the
charts ``bieu_do/*.png`` and the audit pack ``audit/``. The files are written into a temporary
folder next to it, which then replaces the year's folder as a whole: a reader sees the old
report or the new one, never a mix.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bcd35 import runs
from bcd35.config import Home, committee_code
from bcd35.partitions import withheld_of
from bcd35.release_index import with_previous_year_release
from bcd35.report.audit_pack import write_audit_pack
from bcd35.report.charts import CHARTS, write_charts
from bcd35.report.document import write_docx
from bcd35.report.html import PAGE_NAME, TEMPLATES_FOLDER, copy_templates, write_html
from bcd35.report.kpis import ReportData, read_report_data
from bcd35.report.stamp import Stamp, draft
from bcd35.report.writers import write_csv, write_json, write_xlsx
from bcd35.warehouse import published_build, read_manifest


class ReportRefused(RuntimeError):
    """The report would not be backed by a validated, current build."""


@dataclass(frozen=True)
class Report:
    year: int
    directory: Path
    files: list[Path]
    build_id: str


def check_publishable(home: Home, allow_stale: bool) -> tuple[Path, dict]:
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


def check_not_withheld(manifest: dict, committee: str, year: int) -> None:
    for w in withheld_of(manifest):
        if (w.committee_code, w.year) == (committee, year):
            raise ReportRefused(
                f"Số liệu năm {year} của {committee} bị giữ lại vì không đạt kiểm tra "
                f"({', '.join(w.checks)}); sửa tệp nguồn rồi chạy lại `bcd35 run`. / The "
                f"{year} figures of {committee} are withheld: they failed their checks. Fix the "
                "source files and run `bcd35 run` again.\n"
                + "\n".join(f"  - {m}" for m in w.messages))


def write_report(home: Home, year: int, committee: str, allow_stale: bool = False) -> Report:
    build, manifest = check_publishable(home, allow_stale)
    check_not_withheld(manifest, committee, year)
    data = with_previous_year_release(home, read_report_data(build, committee, year, manifest))
    if not data.kpis:
        raise ReportRefused(
            f"Không có số liệu năm {year} cho {committee} trong bản đã công bố. / "
            f"The published build has no figures for {year} ({committee})."
        )
    target = export_dir(home, year, committee)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{year}.", dir=target.parent))
    staging.chmod(0o755)
    try:
        files = write_files(staging, home, build, data)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Report(year=year, directory=target, build_id=manifest["build_id"],
                  files=[target / f.relative_to(staging) for f in files])


def export_dir(home: Home, year: int, committee: str) -> Path:
    """``exports/Y/`` for the home's own committee, ``exports/<committee>/Y/`` for the others."""
    if committee == committee_code():
        return home.exports / str(year)
    return home.exports / committee / str(year)


def write_files(directory: Path, home: Home, build: Path, data: ReportData,
                stamp: Stamp | None = None, restatement: dict | None = None) -> list[Path]:
    """Every file of the report into ``directory``; returns them in the order listed.

    ``stamp`` says what the files are (a draft of ``exports/``, by default, or a release);
    ``restatement`` is what a later release of the year changed since the previous one."""
    year = data.year
    stamp = stamp or draft(data.manifest["build_id"])
    tables = [directory / f"kpi_{year}.json", directory / f"kpi_{year}.csv",
              directory / f"bao_cao_kpi_{year}.xlsx"]
    write_json(tables[0], data)
    write_csv(tables[1], data)
    write_xlsx(tables[2], data, stamp)
    charts = write_charts(directory / "bieu_do", data)
    docx = directory / f"bao_cao_{year}.docx"
    write_docx(docx, data, list(zip(CHARTS, charts, strict=True)), stamp, restatement)
    audit = write_audit_pack(directory / "audit", home, build, year, data.committee.name_vi,
                             data.manifest, data.source_files)
    templates = copy_templates(directory / TEMPLATES_FOLDER)
    page = write_html(directory / PAGE_NAME, data, list(zip(CHARTS, charts, strict=True)),
                      home.root, stamp, restatement)
    return [*tables, docx, *charts, *audit, *templates, page]


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
