"""``bao_cao_Y.docx``: a draft of the written annual report, in the Party's document format.

Laid out after Hướng dẫn 36-HD/VPTW (03/4/2018) on the format of Party documents:
A4, margins top/bottom 2 cm, left 3 cm, right 1,5 cm; Times New Roman; the heading block with
the issuing body on the left ("HUYỆN ỦY HÀM YÊN" / "BAN CHỈ ĐẠO 35" / "*" / "Số …-BC/BCĐ") and
"ĐẢNG CỘNG SẢN VIỆT NAM" (15 pt, bold, underlined) on the right above the place and date line
(14 pt, italic); the document type "BÁO CÁO" and its summary line, centred; body text 14 pt,
justified, first-line indent; "Nơi nhận:" (underlined) bottom left and the signature block
bottom right; page numbers top centre from page 2.

It is a draft for the office to finish by hand: the document number, the date, the
assessment and next year's tasks, the recipients and the signer are left for them, marked in
yellow. The figures (the opening paragraph, the KPI table, the charts) come from the
validated build only.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from bcd35.report import prose
from bcd35.report.charts import ChartSpec
from bcd35.report.kpis import KpiRow, ReportData
from bcd35.report.stamp import Stamp, draft
from bcd35.vietnamese import format_vn_number

FONT = "Times New Roman"
BODY_PT = 14
SMALL_PT = 12
TEXT_WIDTH_CM = 16.5  # 21 cm - 3 cm - 1,5 cm
NO_DATA_VI = "Chưa có số liệu"
ISSUER_SYMBOL = "BCĐ"

TABLE_HEADERS = ("TT", "Chỉ tiêu", "Đơn vị tính", "Năm {y}", "Kế hoạch năm {y}",
                 "Tỷ lệ đạt kế hoạch (%)", "Năm {p}")
TABLE_WIDTHS_CM = (1.0, 4.6, 2.0, 2.2, 2.0, 1.9, 2.8)

RECIPIENTS = (
    "- Ban Chỉ đạo 35 Tỉnh ủy (b/c),",
    "- Thường trực Huyện ủy (b/c),",
    "- Các đồng chí thành viên Ban Chỉ đạo,",
    "- Lưu Cơ quan thường trực Ban Chỉ đạo.",
)


# --------------------------------------------------------------------------------------------
# Small helpers over python-docx
# --------------------------------------------------------------------------------------------


def _set_fonts(run_or_style_font_element, name: str = FONT) -> None:
    """Set the font for every script (Word picks hAnsi/eastAsia/cs per character)."""
    r_pr = run_or_style_font_element
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _run(paragraph: Paragraph, text: str, *, size: float = BODY_PT, bold: bool = False,
         italic: bool = False, underline: bool = False, highlight: bool = False):
    run = paragraph.add_run(text)
    run.font.name = FONT
    _set_fonts(run._element.get_or_add_rPr())
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    run.underline = underline
    if highlight:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return run


def _format(paragraph: Paragraph, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False,
            before: float = 0, after: float = 6) -> Paragraph:
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Cm(1.27) if indent else None
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.15
    return paragraph


def _para(container, text: str = "", *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False,
          before: float = 0, after: float = 6, **run_kw) -> Paragraph:
    paragraph = _format(container.add_paragraph(), align=align, indent=indent, before=before,
                        after=after)
    if text:
        _run(paragraph, text, **run_kw)
    return paragraph


def _cell_para(cell: _Cell, text: str = "", *, first: bool = False,
               align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0, **run_kw) -> Paragraph:
    """A paragraph in a table cell (the cell's own empty paragraph for the first one)."""
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    _format(paragraph, align=align, after=after)
    paragraph.paragraph_format.line_spacing = 1.0
    if text:
        _run(paragraph, text, **run_kw)
    return paragraph


def _widths(table: Table, widths_cm: Sequence[float]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)


def _row_flag(row, tag: str) -> None:
    """``w:tblHeader`` (repeat on every page) or ``w:cantSplit`` (keep a row on one page)."""
    flag = OxmlElement(tag)
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def _page_number_field(paragraph: Paragraph) -> None:
    run = _run(paragraph, "", size=BODY_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)


# --------------------------------------------------------------------------------------------
# The parts of the document
# --------------------------------------------------------------------------------------------


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.left_margin, section.right_margin = Cm(3.0), Cm(1.5)
    section.header_distance = section.footer_distance = Cm(1.0)
    section.different_first_page_header_footer = True  # no number on the first page
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_number_field(number)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element.get_or_add_rPr())


def _stamp_headers(doc, stamp: Stamp) -> None:
    """Draft or release (and provisional) in the header of every page, the first included."""
    section = doc.sections[0]
    for header in (section.first_page_header, section.header):
        for line in stamp.lines():
            paragraph = header.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = _run(paragraph, line, size=SMALL_PT, bold=True)
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)


def _heading_block(doc, data: ReportData) -> None:
    district = data.committee.district_name_vi
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (7.0, TEXT_WIDTH_CM - 7.0))
    left, right = table.rows[0].cells
    _cell_para(left, f"HUYỆN ỦY {district}".upper(), first=True)
    _cell_para(left, "BAN CHỈ ĐẠO 35", bold=True)
    _cell_para(left, "*")
    _cell_para(right, "ĐẢNG CỘNG SẢN VIỆT NAM", first=True, size=15, bold=True, underline=True)
    number, place = table.rows[1].cells
    _cell_para(number, f"Số       -BC/{ISSUER_SYMBOL}", first=True)
    _cell_para(place, f"{district}, ngày … tháng … năm …", first=True, italic=True)


def _title(doc, data: ReportData) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(doc, "BÁO CÁO", align=center, before=18, after=0, size=16, bold=True)
    summary = _para(doc, f"Kết quả thực hiện nhiệm vụ năm {data.year},", align=center,
                    after=0, bold=True)
    summary.runs[0].add_break()
    _run(summary, f"phương hướng, nhiệm vụ năm {data.year + 1}", bold=True)
    _para(doc, "-----", align=center, after=12)


def _intro(doc, data: ReportData) -> None:
    _para(doc, "Thực hiện Nghị quyết số 35-NQ/TW, ngày 22/10/2018 của Bộ Chính trị về tăng "
               "cường bảo vệ nền tảng tư tưởng của Đảng, đấu tranh phản bác các quan điểm sai "
               f"trái, thù địch trong tình hình mới, {data.committee.name_vi} báo cáo kết quả "
               f"thực hiện nhiệm vụ năm {data.year} như sau:", indent=True)


def _heading(doc, text: str, *, before: float = 6) -> None:
    _para(doc, text, indent=True, before=before, bold=True)


def _placeholder(doc, text: str) -> None:
    _para(doc, f"[{text}]", indent=True, italic=True, highlight=True)


def _value_cell(value, *, pct: bool = False) -> str:
    if value is None:
        return ""
    return format_vn_number(value, 1 if pct else 2)


def _kpi_cells(i: int, row: KpiRow) -> list[str]:
    value = NO_DATA_VI if row.value is None else _value_cell(row.value)
    previous = NO_DATA_VI if row.previous_year is None else _value_cell(row.previous_year)
    return [str(i), row.name_vi, row.unit_vi, value, _value_cell(row.target),
            _value_cell(row.pct_of_target, pct=True), previous]


def kpi_table_rows(data: ReportData) -> list[list[str]]:
    """The KPI table as text, header first (also what the tests read back)."""
    header = [h.format(y=data.year, p=data.year - 1) for h in TABLE_HEADERS]
    return [header, *(_kpi_cells(i, r) for i, r in enumerate(data.kpis, start=1))]


def _kpi_table(doc, data: ReportData) -> None:
    rows = kpi_table_rows(data)
    table = doc.add_table(rows=len(rows), cols=len(TABLE_HEADERS))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, TABLE_WIDTHS_CM)
    _row_flag(table.rows[0], "w:tblHeader")
    for row in table.rows:
        _row_flag(row, "w:cantSplit")
    for r, values in enumerate(rows):
        for c, text in enumerate(values):
            align = WD_ALIGN_PARAGRAPH.LEFT if c == 1 and r else WD_ALIGN_PARAGRAPH.CENTER
            italic = r > 0 and text == NO_DATA_VI
            _cell_para(table.cell(r, c), text, first=True, align=align, size=SMALL_PT,
                       bold=r == 0, italic=italic)
    _para(doc, "Ghi chú: “Chưa có số liệu” là trong năm không có bản ghi nào của chỉ tiêu "
               "(không phải bằng 0); tỷ lệ đạt chỉ tính cho chỉ tiêu có kế hoạch.",
          before=3, size=SMALL_PT, italic=True)


def _charts(doc, data: ReportData, charts: Sequence[tuple[ChartSpec, Path]]) -> None:
    for n, (spec, path) in enumerate(charts, start=1):
        picture = _format(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.CENTER, before=6,
                          after=0)
        picture.paragraph_format.keep_with_next = True
        picture.add_run().add_picture(str(path), width=Cm(15.5))
        _para(doc, f"Biểu đồ {n}: {spec.title_vi} năm {data.year}",
              align=WD_ALIGN_PARAGRAPH.CENTER, after=6, size=SMALL_PT, italic=True)


def _closing(doc, data: ReportData) -> None:
    _para(doc, f"Trên đây là báo cáo kết quả thực hiện nhiệm vụ năm {data.year}, phương hướng, "
               f"nhiệm vụ năm {data.year + 1} của {data.committee.name_vi}./.", indent=True,
          before=6)


def _signature_block(doc) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, (8.0, TEXT_WIDTH_CM - 8.0))
    left, right = table.rows[0].cells
    _cell_para(left, "Nơi nhận:", first=True, align=WD_ALIGN_PARAGRAPH.LEFT, underline=True)
    for line in RECIPIENTS:
        _cell_para(left, line, align=WD_ALIGN_PARAGRAPH.LEFT, size=SMALL_PT, highlight=True)
    _cell_para(right, "T/M BAN CHỈ ĐẠO", first=True, bold=True)
    _cell_para(right, "TRƯỞNG BAN", bold=True)
    for _ in range(4):  # room for the signature and the seal
        _cell_para(right, "")
    _cell_para(right, "[Họ và tên]", bold=True, highlight=True)


def _office_note(doc, data: ReportData) -> None:
    manifest = data.manifest
    _para(doc, "Ghi chú cho Văn phòng (xóa trước khi trình ký): dự thảo do hệ thống bcd35 lập "
               f"tự động từ bản dữ liệu đã kiểm tra {manifest['build_id']} (lần chạy "
               f"{manifest['run_id']}, phiên bản {manifest.get('code_version')}). Các phần tô "
               "vàng cần bổ sung. Kết quả kiểm tra và mã SHA-256 của từng tệp nguồn: thư mục "
               "audit/ cạnh tệp này.", align=WD_ALIGN_PARAGRAPH.LEFT, before=18,
          size=SMALL_PT, italic=True, highlight=True)
    warnings = manifest.get("validation", {}).get("warnings", [])
    if warnings:
        titles = "; ".join(w.get("message_vi", w.get("check", "")) for w in warnings)
        _para(doc, f"Cảnh báo khi kiểm tra số liệu (không chặn công bố, cần xem lại trước khi "
                   f"trình ký): {titles}. Chi tiết: audit/kiem_tra.txt.",
              align=WD_ALIGN_PARAGRAPH.LEFT, size=SMALL_PT, italic=True, highlight=True)


def _properties(doc, data: ReportData, stamp: Stamp) -> None:
    props = doc.core_properties
    props.title = f"Báo cáo kết quả thực hiện nhiệm vụ năm {data.year}"
    props.subject = stamp.text()
    props.author = data.committee.name_vi
    props.last_modified_by = "bcd35"
    props.comments = (f"bcd35 build {data.manifest['build_id']}, "
                      f"run {data.manifest['run_id']}")
    props.revision = 1
    try:
        moment = datetime.fromisoformat(str(data.manifest.get("built_at")))
    except ValueError:
        moment = datetime(2000, 1, 1)
    props.created = props.modified = props.last_printed = moment


def _write_stable_zip(blob: bytes, path: Path) -> None:
    """The same document gives the same bytes: zip entries without the time of writing."""
    with zipfile.ZipFile(io.BytesIO(blob)) as src, \
            zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))


def _vn(value, signed: bool = False) -> str:
    if value is None:
        return NO_DATA_VI
    text = format_vn_number(value, 2)
    return f"+{text}" if signed and value > 0 else text


def _restatement(doc, restatement: dict) -> None:
    """What a later release of the year changed since the previous one (the dict of
    :func:`bcd35.restatement.restatement_between`), as a section of the Word file."""
    r = restatement
    _heading(doc, f"ĐÍNH CHÍNH SO VỚI BẢN {r['previous'].upper()}")
    _para(doc, f"Bản {r['current']} thay cho bản {r['previous']} ({r['previous_status']}, ngày "
               f"{r['previous_released_at'][:10]}).", indent=True)
    if not r["kpis"]:
        _para(doc, "Không chỉ tiêu nào thay đổi.", indent=True)
    for k in r["kpis"]:
        _para(doc, f"- {k['name_vi']} ({k['code']}): {_vn(k['old'])} → {_vn(k['new'])} "
                   f"({'' if k['difference'] is None else _vn(k['difference'], signed=True)}).",
              indent=True)
    for f in r["files"]:
        _para(doc, f"- Tệp nguồn {f['change_vi']}: {f['file']} ({f['kind']}, {f['rows']} dòng, "
                   f"sha256 {f['sha256'][:12]}…).", indent=True)


def write_docx(path: Path, data: ReportData, charts: Sequence[tuple[ChartSpec, Path]],
               stamp: Stamp | None = None, restatement: dict | None = None) -> None:
    """Write the draft report; ``charts`` are the PNGs to embed, in order; ``stamp`` says on
    every page whether it is a draft or a release; ``restatement`` (a later release of the
    year) adds what changed since the previous release."""
    stamp = stamp or draft(data.manifest["build_id"])
    doc = Document()
    _page_setup(doc)
    _stamp_headers(doc, stamp)
    _heading_block(doc, data)
    _title(doc, data)
    _intro(doc, data)
    _heading(doc, f"I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM {data.year}")
    _para(doc, prose.opening_paragraph(data), indent=True)
    _placeholder(doc, "Văn phòng bổ sung các kết quả khác: nắm bắt dư luận xã hội, đấu tranh "
                      "phản bác các quan điểm sai trái, thù địch, hoạt động của các thành viên…")
    _heading(doc, f"1. Kết quả các chỉ tiêu năm {data.year}")
    _kpi_table(doc, data)
    if charts:
        _heading(doc, "2. Diễn biến theo tháng")
        _charts(doc, data, charts)
    _heading(doc, "II. ĐÁNH GIÁ CHUNG")
    _placeholder(doc, "Văn phòng bổ sung: ưu điểm, hạn chế, nguyên nhân.")
    _heading(doc, f"III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {data.year + 1}")
    _placeholder(doc, f"Văn phòng bổ sung phương hướng, nhiệm vụ năm {data.year + 1}.")
    if restatement is not None:
        _restatement(doc, restatement)
    _closing(doc, data)
    _signature_block(doc)
    _office_note(doc, data)
    _properties(doc, data, stamp)
    buffer = io.BytesIO()
    doc.save(buffer)
    _write_stable_zip(buffer.getvalue(), path)

