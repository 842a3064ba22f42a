"""The tabular report files of SPEC §7: ``kpi_Y.json``, ``kpi_Y.csv``, ``bao_cao_kpi_Y.xlsx``.

- JSON is for machines: numbers are JSON numbers, ``null`` is "no data".
- CSV and XLSX are for people: Vietnamese labels and Vietnamese number display (``9.960``,
  ``1,53``); a KPI without data shows an empty cell and "Chưa có số liệu" in the note column,
  never 0. No text cell is ever read as a formula (:mod:`bcd35.report.safe`).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import xlsxwriter

from bcd35.report.kpis import KpiRow, Number, ReportData
from bcd35.report.safe import XLSX_TEXT, safe_text
from bcd35.report.stamp import Stamp, draft
from bcd35.vietnamese import format_vn_number

NO_DATA_VI = "Chưa có số liệu"
MONTHS_VI = [f"T{m}" for m in range(1, 13)]


def headers_vi(year: int) -> list[str]:
    return ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", f"Kết quả năm {year}",
            f"Kế hoạch năm {year}", "Tỷ lệ đạt kế hoạch (%)", f"Kết quả năm {year - 1}",
            "Ghi chú"]


PARTIAL_YEAR_VI = "chỉ có số liệu một phần năm"


def partial_notes_vi(row: KpiRow, year: int) -> list[str]:
    """Which of the two years compared covers only part of the year (not like for like)."""
    notes = []
    if row.value is not None and row.is_partial_year:
        notes.append(f"Năm {year} {PARTIAL_YEAR_VI}")
    if row.previous_year is not None and row.previous_year_release:
        notes.append(f"Năm {year - 1} theo bản phát hành chính thức {row.previous_year_release}")
    elif row.previous_year is not None and row.is_previous_year_partial:
        months = (f" ({row.previous_year_months}/12 tháng)"
                  if row.previous_year_months is not None else "")
        notes.append(f"Năm {year - 1} {PARTIAL_YEAR_VI}{months}, so sánh không cùng kỳ")
    return notes


def note_vi(row: KpiRow, year: int) -> str:
    """The note column: says plainly which figures are missing (missing is not 0) and when
    a year covers only part of the year."""
    notes = []
    if row.value is None:
        notes.append(f"{NO_DATA_VI} năm {year}")
    if row.previous_year is None:
        notes.append(f"{NO_DATA_VI.lower()} năm {year - 1}" if notes
                     else f"{NO_DATA_VI} năm {year - 1}")
    notes += partial_notes_vi(row, year)
    return "; ".join(notes)


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def report_json(data: ReportData) -> dict:
    manifest = data.manifest
    validation = manifest["validation"]
    return {
        "year": data.year,
        "committee_code": data.committee.code,
        "committee_name_vi": data.committee.name_vi,
        "run_id": manifest["run_id"],
        "build_id": manifest["build_id"],
        "code_version": manifest.get("code_version"),
        "built_at": manifest.get("built_at"),
        "validation": {
            "success": bool(validation["success"]),
            "n_expectations": validation.get("n_expectations"),
            "failed_checks": validation.get("failed_checks", []),
            "n_warnings": len(validation.get("warnings", [])),
        },
        "kpis": [
            {"code": r.code, "name_vi": r.name_vi, "unit_vi": r.unit_vi, "value": r.value,
             "target": r.target, "previous_year": r.previous_year,
             "pct_of_target": r.pct_of_target, "is_partial_year": r.is_partial_year,
             "is_previous_year_partial": r.is_previous_year_partial,
             "previous_year_release": r.previous_year_release,
             "previous_year_months": r.previous_year_months}
            for r in data.kpis
        ],
        "sources": data.source_files,
    }


def write_json(path: Path, data: ReportData) -> None:
    path.write_text(json.dumps(report_json(data), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def _vn(value: Number | None, decimals: int = 2) -> str:
    return "" if value is None else format_vn_number(value, decimals)


def write_csv(path: Path, data: ReportData) -> None:
    """UTF-8 with BOM (Excel opens it as Unicode), CRLF, Vietnamese number display.

    Numbers are written by this module (never taken from a file), so only the text fields
    need the formula guard; they all get it.
    """
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([safe_text(h) for h in headers_vi(data.year)])
        for r in data.kpis:
            writer.writerow([
                safe_text(r.code), safe_text(r.name_vi), safe_text(r.unit_vi), _vn(r.value),
                _vn(r.target), _vn(r.pct_of_target, 1), _vn(r.previous_year),
                safe_text(note_vi(r, data.year)),
            ])


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------

# Excel and LibreOffice draw the separators of a number format in the viewer's locale, so
# "#,##0" shows 9,960 on an English-locale computer. These formats put a literal "." between
# thousands instead: 9.960 and 2.435.999 whatever the locale (up to 999.999.999; a whole
# number of a billion or more would show its top group unseparated, 1234.567.890).
INT_FORMAT = '[>=1000000]#"."000"."000;[>=1000]#"."000;0'
# A number format has no locale-independent decimal comma: non-whole values (1,53 posts a
# day, 103,8 %) are shown with the viewer's decimal mark. The cells stay numbers.
DEC_FORMAT = "0.00"
PCT_FORMAT = "0.0"


def _created(data: ReportData) -> datetime:
    """The build time, so the same build gives the same workbook bytes."""
    try:
        return datetime.fromisoformat(str(data.manifest.get("built_at")))
    except ValueError:
        return datetime(2000, 1, 1)


class _Book:
    """The workbook's shared formats."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Times New Roman", "font_size": 12, "valign": "vcenter"}
        cell = {**base, "border": 1}
        self.title = workbook.add_format({**base, "bold": True, "font_size": 14, **XLSX_TEXT})
        self.subtitle = workbook.add_format({**base, "italic": True, "font_size": 11, **XLSX_TEXT})
        self.head = workbook.add_format({**cell, "bold": True, "bg_color": "#DDEBF7",
                                         "text_wrap": True, "align": "center", **XLSX_TEXT})
        self.text = workbook.add_format({**cell, "text_wrap": True, **XLSX_TEXT})
        self.center = workbook.add_format({**cell, "align": "center", **XLSX_TEXT})
        self.integer = workbook.add_format({**cell, "num_format": INT_FORMAT})
        self.decimal = workbook.add_format({**cell, "num_format": DEC_FORMAT})
        self.pct = workbook.add_format({**cell, "num_format": PCT_FORMAT})
        self.blank = workbook.add_format(cell)
        self.note = workbook.add_format({**base, "italic": True, "font_size": 11, **XLSX_TEXT})
        self.stamp = workbook.add_format({**base, "bold": True, "font_color": "#C00000",
                                          **XLSX_TEXT})
        self.stamp_text = ""

    def mark(self, sheet, row: int) -> None:
        """Draft or release (and provisional) on the sheet and in the header of every
        printed page of it."""
        sheet.write_string(row, 0, self.stamp_text, self.stamp)
        # "&" starts a header code: doubled, it is printed as itself
        sheet.set_header("&C&B" + self.stamp_text.replace("&", "&&"))

    def number(self, sheet, row: int, col: int, value: Number | None, pct: bool = False) -> None:
        if value is None:
            sheet.write_blank(row, col, None, self.blank)
            return
        fmt = self.pct if pct else (self.integer if float(value).is_integer() else self.decimal)
        sheet.write_number(row, col, value, fmt)


def _annual_sheet(workbook: xlsxwriter.Workbook, book: _Book, data: ReportData) -> None:
    year, manifest = data.year, data.manifest
    sheet = workbook.add_worksheet(f"Chỉ tiêu năm {year}")
    headers = ["STT", *headers_vi(year)]
    sheet.merge_range(0, 0, 0, len(headers) - 1, data.committee.name_vi.upper(), book.title)
    sheet.merge_range(1, 0, 1, len(headers) - 1,
                      f"KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NĂM {year}", book.title)
    sheet.write_string(2, 0, f"Số liệu đã kiểm tra: bản dữ liệu {manifest['build_id']}, lần chạy "
                             f"{manifest['run_id']}, phiên bản {manifest.get('code_version')}.",
                       book.subtitle)
    book.mark(sheet, 3)
    first = 4
    for col, label in enumerate(headers):
        sheet.write_string(first, col, label, book.head)
    for i, r in enumerate(data.kpis, start=1):
        row = first + i
        sheet.write_number(row, 0, i, book.integer)
        sheet.write_string(row, 1, r.code, book.text)
        sheet.write_string(row, 2, r.name_vi, book.text)
        sheet.write_string(row, 3, r.unit_vi, book.center)
        book.number(sheet, row, 4, r.value)
        book.number(sheet, row, 5, r.target)
        book.number(sheet, row, 6, r.pct_of_target, pct=True)
        book.number(sheet, row, 7, r.previous_year)
        sheet.write_string(row, 8, note_vi(r, year), book.text)
    last = first + len(data.kpis)
    sheet.write_string(last + 2, 0, "Ô trống ở cột kết quả: chưa có số liệu (không phải bằng 0). "
                                    "Tỷ lệ đạt chỉ tính cho chỉ tiêu có kế hoạch.", book.note)
    sheet.set_row(first, 36)
    for col, width in enumerate((5, 30, 40, 12, 13, 13, 13, 13, 28)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(first + 1, 0)
    sheet.repeat_rows(first)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)


def _monthly_sheet(workbook: xlsxwriter.Workbook, book: _Book, data: ReportData) -> None:
    sheet = workbook.add_worksheet("Theo tháng")
    headers = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", *MONTHS_VI,
               f"Cả năm {data.year}"]
    sheet.merge_range(0, 0, 0, len(headers) - 1,
                      f"CÁC CHỈ TIÊU THEO THÁNG NĂM {data.year}", book.title)
    book.mark(sheet, 1)
    first = 2
    for col, label in enumerate(headers):
        sheet.write_string(first, col, label, book.head)
    rows = [k for k in data.kpis if k.code in data.monthly]
    for i, r in enumerate(rows, start=1):
        row = first + i
        sheet.write_number(row, 0, i, book.integer)
        sheet.write_string(row, 1, r.code, book.text)
        sheet.write_string(row, 2, r.name_vi, book.text)
        sheet.write_string(row, 3, r.unit_vi, book.center)
        # a KPI without data for the year has no monthly figures either (not twelve zeros)
        months = data.monthly[r.code] if r.has_data else [None] * 12
        for m, value in enumerate(months):
            book.number(sheet, row, 4 + m, value)
        book.number(sheet, row, 16, r.value)
    sheet.write_string(first + len(rows) + 2, 0,
                       "Ô trống: chưa có số liệu (không phải bằng 0).", book.note)
    sheet.set_row(first, 30)
    for col, width in enumerate((5, 30, 36, 10, *([9] * 12), 12)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(first + 1, 4)
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)


def _sources_sheet(workbook: xlsxwriter.Workbook, book: _Book, data: ReportData) -> None:
    """Where the figures came from: file names are typed by people, so they go in as text."""
    sheet = workbook.add_worksheet("Nguồn số liệu")
    headers = ["STT", "Tệp nguồn", "Loại tệp", "Số dòng", "SHA-256"]
    sheet.merge_range(0, 0, 0, len(headers) - 1, "CÁC TỆP NGUỒN CỦA SỐ LIỆU", book.title)
    book.mark(sheet, 1)
    first = 2
    for col, label in enumerate(headers):
        sheet.write_string(first, col, label, book.head)
    for i, src in enumerate(data.source_files, start=1):
        row = first + i
        sheet.write_number(row, 0, i, book.integer)
        sheet.write_string(row, 1, str(src.get("file", "")), book.text)
        sheet.write_string(row, 2, str(src.get("kind", "")), book.text)
        book.number(sheet, row, 3, src.get("rows"))
        sheet.write_string(row, 4, str(src.get("sha256", "")), book.text)
    for col, width in enumerate((5, 48, 22, 10, 68)):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(first + 1, 0)


def write_xlsx(path: Path, data: ReportData, stamp: Stamp | None = None) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                               "strings_to_numbers": False,
                                               "strings_to_urls": False})
    try:
        workbook.set_properties({
            "title": f"Kết quả thực hiện các chỉ tiêu năm {data.year}",
            "author": data.committee.name_vi,
            "comments": f"bcd35 build {data.manifest['build_id']}, "
                        f"run {data.manifest['run_id']}",
            "created": _created(data),
        })
        book = _Book(workbook)
        book.stamp_text = (stamp or draft(data.manifest["build_id"])).text()
        _annual_sheet(workbook, book, data)
        _monthly_sheet(workbook, book, data)
        _sources_sheet(workbook, book, data)
    finally:
        workbook.close()
