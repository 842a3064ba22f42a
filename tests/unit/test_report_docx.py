"""bcd35.report.document: the draft report in the Party's document format (HD 36-HD/VPTW)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from bcd35.report.charts import CHARTS, write_charts
from bcd35.report.document import kpi_table_rows, write_docx
from bcd35.report.kpis import ReportData

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "report_data_2024.json"


def sample() -> ReportData:
    return ReportData.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def write(tmp_path: Path, data: ReportData, name: str = "bao_cao.docx") -> Path:
    charts = write_charts(tmp_path / f"{name}.charts", data)
    path = tmp_path / name
    write_docx(path, data, list(zip(CHARTS, charts, strict=True)))
    return path


@pytest.fixture(scope="module")
def demo_docx(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("docx"), sample())


def cell_paragraphs(cell):
    return [p for p in cell.paragraphs if p.text.strip()]


def test_heading_block(demo_docx):
    doc = Document(str(demo_docx))
    heading = doc.tables[0]
    left, right = heading.rows[0].cells
    assert [p.text for p in cell_paragraphs(left)] == ["HUYỆN ỦY HÀM YÊN", "BAN CHỈ ĐẠO 35", "*"]
    assert not left.paragraphs[0].runs[0].bold and left.paragraphs[1].runs[0].bold
    [party] = cell_paragraphs(right)
    assert party.text == "ĐẢNG CỘNG SẢN VIỆT NAM"
    run = party.runs[0]
    assert run.bold and run.underline and run.font.size == Pt(15)
    number, place = heading.rows[1].cells
    assert re.fullmatch(r"Số\s+-BC/BCĐ", number.text.strip())
    assert place.text.strip() == "Hàm Yên, ngày … tháng … năm …"
    assert all(r.italic for r in place.paragraphs[0].runs)


def body_paragraphs(doc) -> list:
    return [p for p in doc.paragraphs if p.text.strip()]


def test_title_and_summary_line(demo_docx):
    paragraphs = body_paragraphs(Document(str(demo_docx)))
    title = next(p for p in paragraphs if p.text == "BÁO CÁO")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER and title.runs[0].bold
    summary = paragraphs[paragraphs.index(title) + 1]
    assert summary.text.startswith("Kết quả thực hiện nhiệm vụ năm 2024")
    assert "phương hướng, nhiệm vụ năm 2025" in summary.text
    assert summary.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_opening_paragraph_has_the_main_figures_in_words(demo_docx):
    paragraphs = body_paragraphs(Document(str(demo_docx)))
    opening = next(p.text for p in paragraphs if p.text.startswith("Trong năm 2024,"))
    for phrase in ("tổ chức 96 hội nghị thông tin thời sự trong Đảng",
                   "biên soạn, xuất bản 12 bản tin với 9.960 cuốn".capitalize(),
                   "trung bình từ 1 đến 2 tin bài/ngày",
                   "dẫn nguồn đăng tải, chia sẻ 873 tin bài, với trên 2,4 triệu lượt tiếp cận, "
                   "tương tác",
                   "khen thưởng 3 tập thể và biểu dương 2 cá nhân"):
        assert phrase in opening


def test_kpi_table_values_in_vietnamese_format(demo_docx):
    doc = Document(str(demo_docx))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "TT")
    got = [[c.text for c in row.cells] for row in table.rows]
    assert got == kpi_table_rows(sample())
    assert got[0] == ["TT", "Chỉ tiêu", "Đơn vị tính", "Năm 2024", "Kế hoạch năm 2024",
                      "Tỷ lệ đạt kế hoạch (%)", "Năm 2023"]
    rows = {r[1]: r for r in got[1:]}
    assert rows["Số cuốn bản tin"][3:] == ["9.960", "9.600", "103,8", "Chưa có số liệu"]
    assert rows["Lượt tiếp cận, tương tác từ chia sẻ"][3:] == ["2.435.999", "", "", "21.708"]
    assert rows["Bình quân tin bài mỗi ngày"][3] == "1,53"
    assert rows["Hội nghị thông tin thời sự trong Đảng"][5] == "100"
    assert len(got) == 1 + 14


def test_charts_are_embedded_with_captions(demo_docx):
    doc = Document(str(demo_docx))
    assert len(doc.inline_shapes) == len(CHARTS)
    captions = [p.text for p in doc.paragraphs if p.text.startswith("Biểu đồ ")]
    assert captions == [f"Biểu đồ {i}: {s.title_vi} năm 2024" for i, s in enumerate(CHARTS, 1)]


def test_recipients_and_signature_placeholder(demo_docx):
    doc = Document(str(demo_docx))
    block = doc.tables[-1]
    left, right = block.rows[0].cells
    receive = left.paragraphs[0]
    assert receive.text == "Nơi nhận:" and receive.runs[0].underline
    assert [p.text for p in cell_paragraphs(left)][-1].startswith("- Lưu")
    assert [p.text for p in cell_paragraphs(right)] == ["T/M BAN CHỈ ĐẠO", "TRƯỞNG BAN",
                                                        "[Họ và tên]"]


def test_page_setup_and_fonts(demo_docx):
    doc = Document(str(demo_docx))
    section = doc.sections[0]
    def cm(*lengths):  # stored in twips: compare to a tenth of a millimetre
        return tuple(round(length.cm, 2) for length in lengths)

    assert cm(section.page_width, section.page_height) == (21.0, 29.7)  # A4
    assert cm(section.top_margin, section.bottom_margin) == (2.0, 2.0)
    assert cm(section.left_margin, section.right_margin) == (3.0, 1.5)
    assert doc.styles["Normal"].font.name == "Times New Roman"
    runs = [r for p in doc.paragraphs for r in p.runs if r.text.strip()]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells
             for p in c.paragraphs for r in p.runs if r.text.strip()]
    assert {r.font.name for r in runs} == {"Times New Roman"}
    assert {r.font.size.pt for r in runs} <= {12, 14, 15, 16}
    opening = next(p for p in doc.paragraphs if p.text.startswith("Trong năm 2024,"))
    assert opening.runs[0].font.size == Pt(14)
    assert opening.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert opening.paragraph_format.first_line_indent == Cm(1.27)


def test_same_data_gives_the_same_bytes(tmp_path, demo_docx):
    again = write(tmp_path, sample())
    assert again.read_bytes() == demo_docx.read_bytes()


def test_a_year_without_data_says_so(tmp_path):
    data = sample()
    empty = dataclasses.replace(
        data, kpis=[dataclasses.replace(k, value=None, pct_of_target=None) for k in data.kpis])
    doc = Document(str(write(tmp_path, empty)))
    opening = next(p.text for p in doc.paragraphs if p.text.startswith("Trong năm 2024,"))
    assert "chưa có số liệu về hội nghị thông tin thời sự trong Đảng" in opening
    assert not re.search(r"\b0\b", opening)
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "TT")
    assert {row.cells[3].text for row in table.rows[1:]} == {"Chưa có số liệu"}
    assert len(doc.inline_shapes) == len(CHARTS)  # the charts say "no data" themselves


def test_a_later_release_carries_what_it_restates(tmp_path, demo_docx):
    restatement = {
        "previous": "r1", "current": "r2", "previous_status": "chính thức / final",
        "previous_released_at": "2025-01-15T08:00:00+07:00",
        "kpis": [{"code": "hn_so_cuoc", "name_vi": "Số hội nghị", "old": 1234, "new": 1240.5,
                  "difference": 6.5},
                 {"code": "ctv_moi", "name_vi": "Cộng tác viên mới", "old": None, "new": 3,
                  "difference": None}],
        "files": [{"change_vi": "rút", "file": "hn/2024_12.xlsx", "kind": "meetings",
                   "rows": 7, "sha256": "ab" * 32}],
    }
    charts = write_charts(tmp_path / "charts", sample())
    path = tmp_path / "r2.docx"
    write_docx(path, sample(), list(zip(CHARTS, charts, strict=True)), restatement=restatement)
    texts = [p.text for p in body_paragraphs(Document(str(path)))]
    start = texts.index("ĐÍNH CHÍNH SO VỚI BẢN R1")
    assert texts[start + 1:start + 5] == [
        "Bản r2 thay cho bản r1 (chính thức / final, ngày 2025-01-15).",
        "- Số hội nghị (hn_so_cuoc): 1.234 → 1.240,50 (+6,50).",
        "- Cộng tác viên mới (ctv_moi): Chưa có số liệu → 3 ().",
        f"- Tệp nguồn rút: hn/2024_12.xlsx (meetings, 7 dòng, sha256 {'ab' * 6}…).",
    ]
    assert not any("ĐÍNH CHÍNH" in p.text for p in Document(str(demo_docx)).paragraphs)
