"""The annual report of docs/office.md from the demo night: every file, and the audit pack's
hashes."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import openpyxl
from docx import Document

from tests.e2e.conftest import bcd35, tree_digest

YEAR = 2024
SPEC_FILES = [
    f"kpi_{YEAR}.json", f"kpi_{YEAR}.csv", f"bao_cao_kpi_{YEAR}.xlsx", f"bao_cao_{YEAR}.docx",
    f"bieu_do/bieu_do_hoi_nghi_{YEAR}.png", f"bieu_do/bieu_do_ban_tin_{YEAR}.png",
    f"bieu_do/bieu_do_tin_bai_{YEAR}.png", f"bieu_do/bieu_do_tiep_can_{YEAR}.png",
    "audit/manifest.json", "audit/validation.json", "audit/kiem_tra.txt", "audit/SHA256SUMS",
    "audit/sources.json", "audit/corrections.json",
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_report_file_exists(demo_home: Path):
    out = demo_home / "exports" / str(YEAR)
    for name in SPEC_FILES:
        path = out / name
        assert path.is_file() and path.stat().st_size > 0, name
    for chart in (out / "bieu_do").iterdir():
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_audit_pack_hashes_equal_the_originals(demo_home: Path):
    audit = demo_home / "exports" / str(YEAR) / "audit"
    manifest = json.loads((audit / "manifest.json").read_text(encoding="utf-8"))
    doc = json.loads((demo_home / "exports" / str(YEAR) / f"kpi_{YEAR}.json")
                     .read_text(encoding="utf-8"))
    assert manifest["run_id"] == doc["run_id"] and manifest["build_id"] == doc["build_id"]
    assert manifest["code_version"]
    listed = {}
    for line in (audit / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert listed == {s["file"]: s["sha256"] for s in manifest["sources"]}
    originals = {p.name: p for p in (demo_home / "originals").rglob("*") if p.is_file()}
    for name, digest in listed.items():
        assert digest in originals, f"no original kept for {name}"
        assert sha256(originals[digest]) == digest, name
    sources = json.loads((audit / "sources.json").read_text(encoding="utf-8"))
    assert {s["original_check"] for s in sources} == {"ok"}
    validation = json.loads((audit / "validation.json").read_text(encoding="utf-8"))
    assert validation["success"] is True and validation["run_id"] == doc["run_id"]
    assert {c["status"] for c in validation["checks"]} <= {"passed", "warning"}
    assert all(c["status"] == "passed" for c in validation["checks"] if c["blocking"])
    text = (audit / "kiem_tra.txt").read_text(encoding="utf-8")
    assert doc["run_id"] in text and "ĐẠT / PASSED" in text
    assert all(digest in text for digest in listed.values())


def test_report_files_show_the_2024_review_figures(demo_home: Path):
    out = demo_home / "exports" / str(YEAR)
    rows = {r[0]: r for r in csv.reader(
        (out / f"kpi_{YEAR}.csv").read_text(encoding="utf-8-sig").splitlines())}
    assert rows["ban_tin_so_cuon"][3] == "9.960"
    sheet = openpyxl.load_workbook(out / f"bao_cao_kpi_{YEAR}.xlsx")[f"Chỉ tiêu năm {YEAR}"]
    copies = next(r for r in sheet.iter_rows() if r[1].value == "ban_tin_so_cuon")
    assert copies[4].value == 9960 and '"."' in copies[4].number_format
    docx = Document(str(out / f"bao_cao_{YEAR}.docx"))
    opening = next(p.text for p in docx.paragraphs if p.text.startswith(f"Trong năm {YEAR},"))
    for phrase in ("96 hội nghị thông tin thời sự trong Đảng", "12 bản tin với 9.960 cuốn",
                   "trung bình từ 1 đến 2 tin bài/ngày", "chia sẻ 873 tin bài",
                   "trên 2,4 triệu lượt tiếp cận, tương tác",
                   "khen thưởng 3 tập thể và biểu dương 2 cá nhân"):
        assert phrase in opening
    assert len(docx.inline_shapes) == 4


def test_reporting_again_from_the_same_build_gives_the_same_files(home_copy: Path):
    before = tree_digest(home_copy / "exports" / str(YEAR))
    again = bcd35(home_copy, "report", "--year", str(YEAR))
    assert again.returncode == 0, again.stdout + again.stderr
    for name in SPEC_FILES:
        assert name in again.stdout
    assert tree_digest(home_copy / "exports" / str(YEAR)) == before


MEETINGS_2023 = (  # two meetings of Hàm Yên in 2023, bytes of no demo file
    "\ufeffSTT;Ngày;Tên hội nghị;Loại hội nghị;Đơn vị tổ chức;Xã/Thị trấn;Hình thức;Chủ trì;"
    "Số đại biểu;Ghi chú\n"
    "1;14/03/2023;Hội nghị thông tin thời sự quý I/2023;Thông tin thời sự;"
    "Đảng ủy xã Bình Xa;Xã Bình Xa;Trực tiếp;Đ/c Hoàng Thị Mai;41;\n"
    "2;19/09/2023;Hội nghị thông tin thời sự quý III/2023;Thông tin thời sự;"
    "Đảng ủy xã Bình Xa;Xã Bình Xa;Trực tiếp;Đ/c Hoàng Thị Mai;44;\n")


def test_the_report_lists_the_files_behind_its_committee_year_only(home_copy: Path):
    """The sources of a report (kpi_Y.json, the XLSX sheet, the audit pack) are the files with
    rows in its committee-year, as a release's are, not every file of the build."""
    import openpyxl

    log = home_copy / "inbox" / "so_hoi_nghi_2023.csv"
    log.write_text(MEETINGS_2023, encoding="utf-8")
    night = bcd35(home_copy, "run")
    assert night.returncode == 0, night.stdout + night.stderr
    new = sha256(log)

    def listed(year: int) -> set[str]:
        out = home_copy / "exports" / str(year)
        report = bcd35(home_copy, "report", "--year", str(year))
        assert report.returncode == 0, report.stdout + report.stderr
        in_json = {s["sha256"] for s in
                   json.loads((out / f"kpi_{year}.json").read_text())["sources"]}
        packed = {line.split()[0]
                  for line in (out / "audit" / "SHA256SUMS").read_text().splitlines()}
        book = openpyxl.load_workbook(out / f"bao_cao_kpi_{year}.xlsx", read_only=True)
        in_sheet = {cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                    for cell in row if isinstance(cell, str) and len(cell) == 64
                    and all(c in "0123456789abcdef" for c in cell)}
        assert in_json == packed == in_sheet
        return in_json

    assert new in listed(2023)
    assert new not in listed(2024), "the 2024 report does not list a file of 2023 only"
