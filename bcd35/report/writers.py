"""The annual report files of SPEC §7: JSON, CSV and XLSX with Vietnamese labels."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import xlsxwriter

from bcd35.report.kpis import KpiRow
from bcd35.report.numbers import format_vn_number
from bcd35.report.safe import safe_text

HEADERS_VI = ["Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Kết quả", "Kế hoạch",
              "Tỷ lệ đạt (%)", "Năm trước"]


def write_json(path: Path, year: int, manifest: dict, rows: list[KpiRow]) -> None:
    validation = manifest["validation"]
    doc = {
        "year": year,
        "committee_code": manifest.get("committee_code"),
        "run_id": manifest["run_id"],
        "build_id": manifest["build_id"],
        "code_version": manifest.get("code_version"),
        "validation": {
            "success": bool(validation["success"]),
            "n_expectations": validation.get("n_expectations"),
            "failed_checks": validation.get("failed_checks", []),
            "n_warnings": len(validation.get("warnings", [])),
        },
        "kpis": [
            {"code": r.code, "name_vi": r.name_vi, "unit_vi": r.unit_vi, "value": r.value,
             "target": r.target, "previous_year": r.previous_year}
            for r in rows
        ],
        "sources": manifest["sources"],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
                    encoding="utf-8")


def _vn(value: float | int | None) -> str:
    if value is None:
        return ""
    return format_vn_number(value)


def write_csv(path: Path, rows: list[KpiRow]) -> None:
    """UTF-8 with BOM (Excel opens it as Unicode), Vietnamese number formats."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(HEADERS_VI)
        for r in rows:
            writer.writerow([
                safe_text(r.code), safe_text(r.name_vi), safe_text(r.unit_vi), _vn(r.value),
                _vn(r.target), _vn(r.pct_of_target), _vn(r.previous_year),
            ])


# Excel shows number formats with the viewer's locale separators; these literal-dot
# formats show Vietnamese grouping (9.960, 2.431.207) whatever the viewer's locale.
_INT_FORMAT = '[>=1000000]0"."000"."000;[>=1000]0"."000;0'
_DEC_FORMAT = "0.00"  # shown with the viewer's decimal separator


def write_xlsx(path: Path, year: int, committee_name: str, rows: list[KpiRow]) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                               "strings_to_urls": False})
    try:
        sheet = workbook.add_worksheet(f"KPI {year}")
        title = workbook.add_format({"bold": True, "font_size": 13})
        head = workbook.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7",
                                    "text_wrap": True, "valign": "vcenter"})
        text = workbook.add_format({"border": 1, "text_wrap": True, "valign": "vcenter"})
        integer = workbook.add_format({"border": 1, "num_format": _INT_FORMAT})
        decimal = workbook.add_format({"border": 1, "num_format": _DEC_FORMAT})
        sheet.write_string(0, 0, safe_text(committee_name), title)
        sheet.write_string(1, 0, f"Kết quả thực hiện các chỉ tiêu năm {year}", title)
        for col, label in enumerate(HEADERS_VI):
            sheet.write_string(3, col, label, head)
        for i, r in enumerate(rows, start=4):
            sheet.write_string(i, 0, safe_text(r.code), text)
            sheet.write_string(i, 1, safe_text(r.name_vi), text)
            sheet.write_string(i, 2, safe_text(r.unit_vi), text)
            for col, value in ((3, r.value), (4, r.target), (5, r.pct_of_target),
                               (6, r.previous_year)):
                if value is None:
                    sheet.write_blank(i, col, None, text)
                else:
                    fmt = integer if float(value).is_integer() else decimal
                    sheet.write_number(i, col, value, fmt)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 1, 44)
        sheet.set_column(2, 2, 14)
        sheet.set_column(3, 6, 14)
    finally:
        workbook.close()
