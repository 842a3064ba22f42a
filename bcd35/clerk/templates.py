"""XLSX templates for the office kinds, generated from the ingest's own kind definitions.

One workbook per kind typed by hand in the office (the Meta export is a download, not typed):
a data sheet whose first row is the exact header the ingest recognises (locked, the sheet
protected without a password so the header cannot be changed by accident), Excel data
validation on every cell that has a domain (the value lists come from the same reference data
the ingest matches against, so a choice from a list always loads), ``dd/mm/yyyy`` on date
cells, whole numbers ≥ 0 on counts, and a Vietnamese instructions sheet with one example.

The instructions show the example one column per line: a row holding every header would make
the instructions sheet itself a sheet of that kind, and the example would be loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bcd35 import reference
from bcd35.config import REFERENCE_DIR
from bcd35.ingest.kinds import KINDS, Column, Kind
from bcd35.ingest.rows import MONTH_COLUMNS, YEAR_COLUMNS

# the kinds a clerk types; meta_posts is exported from Meta Business Suite, never typed
TEMPLATE_KINDS = ("meeting_log", "commendation", "bulletin_issue", "bulletin_distribution",
                  "collaborator_shares")
DATA_SHEET = "Dữ liệu"
HELP_SHEET = "Hướng dẫn"
LISTS_SHEET = "Danh mục"
DATA_ROWS = 500  # rows below the header formatted, validated and left unlocked
MIN_YEAR, MAX_YEAR = 2000, 2099
EXCEL_2000_01_01 = 36526  # Excel's serial number of 1 January 2000
FIXED_TIME = datetime(2025, 1, 1)  # workbook properties: the same bytes of XML every time
DATE_FORMAT = "dd/mm/yyyy"
MONTH_FORMAT = "mm/yyyy"
COUNT_FORMAT = "#,##0"  # Excel shows it with the office's own separators (9.960 in vi-VN)


def new_communes(reference_dir: Path = REFERENCE_DIR) -> list[str]:
    """The communes in force from 1 July 2025, as ``Xã <name>`` (the merger's reference data,
    the list the ingest resolves rows dated from that day against)."""
    return list(reference.communes_2025(reference_dir).labels)


def commune_choices() -> list[str]:
    """Old units (and ``Huyện``) first, then the new communes not spelled the same already:
    which of them a row may name depends on its date (docs/formats.md#communes)."""
    old = list(reference.communes().labels)
    return old + [name for name in new_communes() if name not in old]


def choices(column: Column) -> list[str] | None:
    """The value list of a column, from the lookups the ingest derives codes with."""
    lists = {
        "loai_hoi_nghi_goc": lambda: list(reference.meeting_kinds().labels),
        "xa_thi_tran": commune_choices,
        "hinh_thuc_goc": lambda: list(reference.commendation_forms().labels),
        "doi_tuong_goc": lambda: list(reference.commendation_targets().labels),
        "nen_tang_goc": lambda: list(reference.platforms().labels),
    }
    found = lists.get(column.name)
    return found() if found else None


# One example row per kind, in the order of the kind's columns (values as a clerk types them).
EXAMPLES: dict[str, dict[str, object]] = {
    "meeting_log": {
        "ngay": date(2025, 3, 14), "ten_hoi_nghi": "Hội nghị thông tin thời sự quý I",
        "loai_hoi_nghi_goc": "Thông tin thời sự", "don_vi_to_chuc": "Ban Tuyên giáo",
        "xa_thi_tran": "Thị trấn Tân Yên", "so_dai_bieu": 120, "stt": "1",
        "hinh_thuc": "Trực tiếp", "chu_tri": "Đồng chí Phó Bí thư", "ghi_chu": "",
    },
    "commendation": {
        "nam_thanh_tich": 2025, "hinh_thuc_goc": "Khen thưởng", "doi_tuong_goc": "Tập thể",
        "ten": "Ban Tuyên giáo Huyện ủy", "so_quyet_dinh": "125-QĐ/HU",
        "ngay_quyet_dinh": date(2025, 12, 20),
    },
    "bulletin_issue": {
        "ten_an_pham": "Bản tin Sinh hoạt chi bộ", "nam": 2025, "so": 3,
        "thang_phat_hanh": date(2025, 3, 1), "so_luong_in": 830,
        "ngay_phat_hanh": date(2025, 3, 10), "so_trang": 24, "don_vi_in": "Công ty in Tuyên Quang",
        "kinh_phi": 4150000,
    },
    "bulletin_distribution": {
        "ten_an_pham": "Bản tin Sinh hoạt chi bộ", "nam": 2025, "so": 3,
        "don_vi_nhan": "Chi bộ thôn Làng Bát", "so_luong": 12, "xa_thi_tran": "Xã Yên Thuận",
    },
    "collaborator_shares": {
        "ngay": date(2025, 3, 15), "cong_tac_vien": "Nguyễn Văn A", "don_vi": "Đoàn Thanh niên",
        "nen_tang_goc": "Facebook", "lien_ket": "https://www.facebook.com/example/posts/1",
        "luot_tiep_can": 350, "luot_tuong_tac": 42, "bai_goc": "", "ghi_chu": "",
    },
}


@dataclass(frozen=True)
class Rule:
    """How a column is typed and validated in the template."""

    kind: str  # date | month | year | count | list | text
    number_format: str | None = None
    values: tuple[str, ...] = ()
    note_vi: str = ""  # what to know before choosing (first: Excel cuts a prompt at 255)

    def describe_vi(self) -> str:
        return self.note_vi + {
            "date": "Ngày theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 14/03/2025.",
            "month": "Tháng phát hành theo dạng tháng/năm (mm/yyyy), ví dụ 03/2025.",
            "year": f"Năm bốn chữ số, từ {MIN_YEAR} đến {MAX_YEAR}.",
            "count": "Số nguyên từ 0 trở lên (không ghi chữ, không ghi số âm).",
            "list": "Chọn trong danh sách thả xuống: " + "; ".join(self.values) + ".",
            "text": "Chữ, ghi như trong sổ.",
        }[self.kind]


def commune_note() -> str:
    """Which communes a row may name: by its date (docs/formats.md#communes)."""
    since = reference.merger().effective.strftime("%d/%m/%Y")
    return (f"Theo ngày của dòng (sổ cấp phát: theo Năm): trước {since} ghi đơn vị cũ hoặc "
            f"«{reference.DISTRICT_LEVEL}»; từ {since} ghi xã mới "
            f"({', '.join(reference.communes_2025().labels)}). ")


def rule(column: Column) -> Rule:
    values = choices(column)
    if values is not None:
        note = commune_note() if column.name == "xa_thi_tran" else ""
        return Rule("list", "@", tuple(values), note)
    if column.name in MONTH_COLUMNS:
        return Rule("month", MONTH_FORMAT)
    if column.name in YEAR_COLUMNS:
        return Rule("year", "0")
    if column.type == "date":
        return Rule("date", DATE_FORMAT)
    if column.type == "int64":
        return Rule("count", COUNT_FORMAT)
    return Rule("text", "@")


def template_name(kind: Kind) -> str:
    return f"mau_{kind.name}.xlsx"


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _validation(rule_: Rule, column: Column, list_range: str | None):  # -> DataValidation
    from openpyxl.worksheet.datavalidation import DataValidation

    header = column.headers[0]
    common = {"allow_blank": not column.required, "showErrorMessage": True,
              "errorStyle": "stop", "showInputMessage": True, "promptTitle": header[:32],
              "errorTitle": "Giá trị không hợp lệ"}
    if rule_.kind == "list":
        return DataValidation(type="list", formula1=list_range, prompt=rule_.describe_vi()[:255],
                              error=f"Hãy chọn «{header}» trong danh sách thả xuống.", **common)
    if rule_.kind in ("date", "month"):
        return DataValidation(type="date", operator="greaterThanOrEqual",
                              formula1=str(EXCEL_2000_01_01), prompt=rule_.describe_vi(),
                              error=f"«{header}»: hãy ghi một ngày từ năm {MIN_YEAR} trở đi, "
                                    f"dạng dd/mm/yyyy.", **common)
    if rule_.kind == "year":
        return DataValidation(type="whole", operator="between", formula1=str(MIN_YEAR),
                              formula2=str(MAX_YEAR), prompt=rule_.describe_vi(),
                              error=f"«{header}»: hãy ghi năm bốn chữ số.", **common)
    if rule_.kind == "count":
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                              prompt=rule_.describe_vi(),
                              error=f"«{header}»: hãy ghi số nguyên từ 0 trở lên.", **common)
    return None


def build_template(kind: Kind):  # -> openpyxl.Workbook
    """The template workbook of ``kind`` (not saved)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    columns = kind.source_columns
    rules = [rule(column) for column in columns]
    wb = Workbook()
    wb.properties.creator = "bcd35"
    wb.properties.title = f"Mẫu {kind.label_vi}"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME

    data = wb.active
    data.title = DATA_SHEET
    lists = [(column, r) for column, r in zip(columns, rules, strict=True) if r.kind == "list"]
    ranges = _lists_sheet(wb, lists)
    head_font, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    last = DATA_ROWS + 1
    for index, (column, r) in enumerate(zip(columns, rules, strict=True), start=1):
        letter = _letter(index)
        cell = data.cell(row=1, column=index, value=column.headers[0])
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.protection = Protection(locked=True)
        data.column_dimensions[letter].width = max(14, min(40, len(column.headers[0]) + 6))
        for row in range(2, last + 1):
            target = data.cell(row=row, column=index)
            target.protection = Protection(locked=False)
            if r.number_format:
                target.number_format = r.number_format
        validation = _validation(r, column, ranges.get(column.name))
        if validation is not None:
            validation.add(f"{letter}2:{letter}{last}")
            data.add_data_validation(validation)
    data.freeze_panes = "A2"
    _protect(data)
    _help_sheet(wb, kind, columns, rules)
    wb.active = 0
    return wb


def _protect(sheet) -> None:
    # no password: the point is that the header cannot be changed by accident, not secrecy
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widening a column stays possible
    sheet.protection.formatRows = False
    sheet.protection.sort = False
    sheet.protection.autoFilter = False


def _lists_sheet(wb, lists: Sequence[tuple[Column, Rule]]) -> dict[str, str]:
    """A hidden sheet with one column per value list; column name → its absolute range.

    Lists live on a sheet, not inline in the validation: inline lists are limited to 255
    characters and cannot hold a value with a comma (``Sơ kết, tổng kết``).
    """
    if not lists:
        return {}
    sheet = wb.create_sheet(LISTS_SHEET)
    ranges: dict[str, str] = {}
    for index, (column, r) in enumerate(lists, start=1):
        letter = _letter(index)
        sheet.cell(row=1, column=index, value=f"Danh sách: {column.headers[0]}")
        for offset, value in enumerate(r.values, start=2):
            sheet.cell(row=offset, column=index, value=value)
        sheet.column_dimensions[letter].width = 36
        ranges[column.name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(r.values) + 1}"
    sheet.sheet_state = "hidden"
    sheet.protection.sheet = True
    return ranges


def _example_text(value: object, r: Rule) -> object:
    if isinstance(value, date):
        return value.strftime("%m/%Y" if r.kind == "month" else "%d/%m/%Y")
    return value


def _help_sheet(wb, kind: Kind, columns: Sequence[Column], rules: Sequence[Rule]) -> None:
    from openpyxl.styles import Alignment, Font

    sheet = wb.create_sheet(HELP_SHEET, 1)
    lines = [
        f"MẪU NHẬP LIỆU: {kind.label_vi.upper()} ({kind.name})",
        "",
        f"1. Ghi mỗi {_unit(kind)} trên một dòng của trang «{DATA_SHEET}», bắt đầu từ dòng 2. "
        "Không sửa, không xoá dòng tiêu đề (dòng 1 đã được khoá).",
        "2. Các cột có danh sách thả xuống: chỉ chọn trong danh sách. Ngày ghi dd/mm/yyyy; số "
        "đếm ghi số nguyên từ 0 trở lên.",
        "3. Cột «Bắt buộc: Có» không được để trống. Các cột khác có thể để trống.",
        "4. Lưu tệp dạng Excel (.xlsx) và nộp qua trang nộp tệp hoặc đặt vào thư mục inbox; "
        "trước khi nộp có thể kiểm tra bằng lệnh: bcd35 check <tệp>.",
        "5. Sửa một tệp đã nộp: sửa tệp gốc rồi nộp lại đúng tên cũ, tệp mới thay cho tệp cũ.",
        "",
        "Các cột và một dòng ví dụ:",
    ]
    for number, text in enumerate(lines, start=1):
        sheet.cell(row=number, column=1, value=text)
    sheet["A1"].font = Font(bold=True, size=13)
    top = len(lines) + 1
    for index, title in enumerate(("Cột", "Bắt buộc", "Cách ghi", "Ví dụ"), start=1):
        sheet.cell(row=top, column=index, value=title).font = Font(bold=True)
    example = EXAMPLES[kind.name]
    for offset, (column, r) in enumerate(zip(columns, rules, strict=True), start=1):
        row = top + offset
        sheet.cell(row=row, column=1, value=column.headers[0])
        sheet.cell(row=row, column=2, value="Có" if column.required else "Không")
        sheet.cell(row=row, column=3, value=r.describe_vi()).alignment = \
            Alignment(wrap_text=True, vertical="top")
        value = example.get(column.name)
        sheet.cell(row=row, column=4, value=_example_text(value, r) if value != "" else None)
    for letter, width in zip("ABCD", (26, 10, 70, 36), strict=True):
        sheet.column_dimensions[letter].width = width


def _unit(kind: Kind) -> str:
    return {"meeting_log": "hội nghị", "commendation": "quyết định khen thưởng, biểu dương",
            "bulletin_issue": "số bản tin", "bulletin_distribution": "lần cấp phát",
            "collaborator_shares": "lượt chia sẻ"}.get(kind.name, "bản ghi")


def write_templates(out: Path) -> list[Path]:
    """Write every template into ``out`` (created if needed); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TEMPLATE_KINDS:
        kind = KINDS[name]
        path = out / template_name(kind)
        tmp = path.with_name(f".{path.name}.tmp")
        build_template(kind).save(tmp)
        tmp.replace(path)
        written.append(path)
    return written


def describe(path: Path) -> dict[str, object]:
    """What a template holds, for comparing a committed file with a fresh one: every sheet's
    state, protection, non-empty cells, number formats, locks and data validations."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out: dict[str, object] = {}
    for sheet in wb.worksheets:
        cells = {c.coordinate: (c.value.isoformat() if isinstance(c.value, datetime | date)
                                else c.value)
                 for row in sheet.iter_rows() for c in row if c.value is not None}
        styles = {c.coordinate: (c.number_format, c.protection.locked)
                  for row in sheet.iter_rows(max_row=3) for c in row}
        last = {c.coordinate: (c.number_format, c.protection.locked)
                for c in sheet[sheet.max_row]}
        validations = sorted(
            (str(v.sqref), v.type, v.operator, v.formula1, v.formula2, v.allow_blank,
             v.showErrorMessage, v.errorStyle, v.error, v.prompt)
            for v in sheet.data_validations.dataValidation)
        out[sheet.title] = {"state": sheet.sheet_state, "protected": sheet.protection.sheet,
                            "cells": cells, "styles": styles, "last_row": last,
                            "validations": validations}
    return out
