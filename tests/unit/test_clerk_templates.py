"""The clerks' XLSX templates: generated from the ingest's kinds, filled like a clerk, loaded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bcd35.clerk.templates import (
    DATA_SHEET,
    HELP_SHEET,
    TEMPLATE_KINDS,
    choices,
    commune_choices,
    describe,
    new_communes,
    rule,
    template_name,
    write_templates,
)
from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.pipeline import analyse
from bcd35.ingest.rows import ParseContext
from tests.clerk.filling import ROWS, TEMPLATES, excel_refuses, fill

NOW = datetime(2026, 1, 15, 2, 0)
CTX = ParseContext(max_year=NOW.year + 1)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    write_templates(out)
    return out


@pytest.mark.parametrize("name", TEMPLATE_KINDS)
def test_committed_template_is_what_the_kinds_generate(name: str, fresh: Path):
    file = template_name(KINDS[name])
    assert describe(TEMPLATES / file) == describe(fresh / file), \
        f"templates/{file} is stale: run `bcd35 templates --out templates` and commit it"


def test_a_changed_kind_makes_the_committed_template_stale(fresh: Path, tmp_path: Path):
    # the comparison above can fail: a header renamed in the template is seen
    wb = load_workbook(fresh / "mau_meeting_log.xlsx")
    wb[DATA_SHEET]["F1"] = "So nguoi"
    wb.save(tmp_path / "stale.xlsx")
    assert describe(tmp_path / "stale.xlsx") != describe(fresh / "mau_meeting_log.xlsx")


@pytest.mark.parametrize("name", TEMPLATE_KINDS)
def test_header_is_exact_protected_and_typed(name: str, fresh: Path):
    kind = KINDS[name]
    wb = load_workbook(fresh / template_name(kind))
    ws = wb[DATA_SHEET]
    headers = [c.value for c in ws[1] if c.value is not None]
    assert headers == [c.headers[0] for c in kind.source_columns]
    assert ws.protection.sheet and all(c.protection.locked for c in ws[1])
    assert not any(c.protection.locked for c in ws[2])
    for index, column in enumerate(kind.source_columns, start=1):
        cell = ws.cell(row=2, column=index)
        r = rule(column)
        if r.kind == "date":
            assert cell.number_format == "dd/mm/yyyy"
        if r.kind == "count":
            assert excel_refuses(fresh / template_name(kind), cell.coordinate, -1) is True
            assert excel_refuses(fresh / template_name(kind), cell.coordinate, 2.5) is True
            assert excel_refuses(fresh / template_name(kind), cell.coordinate, 0) is False
    assert wb.sheetnames[:2] == [DATA_SHEET, HELP_SHEET]
    help_text = " ".join(str(c.value) for row in wb[HELP_SHEET].iter_rows() for c in row
                         if c.value is not None)
    assert "Hướng dẫn" in HELP_SHEET and "dd/mm/yyyy" in help_text


def test_lists_hold_the_domains_and_the_new_communes():
    columns = {c.name: c for k in TEMPLATE_KINDS for c in KINDS[k].source_columns}
    assert choices(columns["loai_hoi_nghi_goc"]) == [
        "Thông tin thời sự", "Báo cáo viên", "Sơ kết, tổng kết", "Tập huấn", "Khác"]
    assert choices(columns["hinh_thuc_goc"]) == ["Khen thưởng", "Biểu dương"]
    assert choices(columns["doi_tuong_goc"]) == ["Tập thể", "Cá nhân"]
    assert choices(columns["nen_tang_goc"]) == ["Facebook", "Zalo", "TikTok", "YouTube", "Khác"]
    communes = commune_choices()
    assert len(new_communes()) == 8
    assert set(new_communes()) <= set(communes)
    assert "Thị trấn Tân Yên" in communes and "Xã Hàm Yên" in communes
    assert len([c for c in communes if c != "Huyện"]) == 18 + 1  # 18 old units + Xã Hàm Yên


def _every_choice_rows(name: str) -> list[tuple]:
    """The base row, then one row per value of every list (each must load)."""
    base = list(ROWS[name][0])
    kind = KINDS[name]
    positions = {c.name: i for i, c in enumerate(kind.source_columns)}
    rows = [tuple(base)]
    for column in kind.source_columns:
        values = choices(column)
        if values is None or positions[column.name] >= len(base):
            continue
        for number, value in enumerate(values):
            row = list(base)
            row[positions[column.name]] = value
            for key in ("ten_hoi_nghi", "ten", "lien_ket", "don_vi_nhan"):
                if key in positions and positions[key] < len(row):  # a distinct natural key
                    row[positions[key]] = f"{row[positions[key]]} {column.name} {number}"
            if column.name == "xa_thi_tran" and value in new_communes() and \
                    value not in commune_choices()[:19] and "ngay" in positions:
                row[positions["ngay"]] = datetime(2025, 8, 1)  # a new commune: after the merger
            rows.append(tuple(row))
    return rows


@pytest.mark.parametrize("name", TEMPLATE_KINDS)
def test_filled_template_loads_without_quarantine(name: str, fresh: Path, tmp_path: Path):
    rows = _every_choice_rows(name)
    home = Home(tmp_path / "home")
    fill(fresh / template_name(KINDS[name]), rows, home.inbox / f"{name}.xlsx")
    result = ingest_inbox(home, "ham_yen", now=NOW)
    assert result.quarantined == [], [f.reason for f in result.quarantined]
    [loaded] = result.loaded
    assert loaded.kinds == (name,) and loaded.rows == len(rows)


@pytest.mark.parametrize("name", TEMPLATE_KINDS)
def test_empty_template_loads_nothing_not_even_the_example(name: str, fresh: Path):
    analysis = analyse((fresh / template_name(KINDS[name])).read_bytes(), CTX)
    assert analysis.data_rows == 0 and len(analysis.errors) == 1
    assert "no data rows" in analysis.errors[0].reason_en


def test_value_outside_a_list_is_refused_by_excel_then_quarantined(fresh: Path, tmp_path: Path):
    template = fresh / "mau_meeting_log.xlsx"
    assert excel_refuses(template, "C2", "Hội thảo") is True  # Loại hội nghị
    assert excel_refuses(template, "C2", "Tập huấn") is False
    assert excel_refuses(template, "E2", "Xã Hư Cấu") is True  # Xã/Thị trấn
    assert excel_refuses(template, "E2", "Xã Hàm Yên") is False
    assert excel_refuses(template, "B2", "anything") is None  # free text: no list
    # forced in anyway (openpyxl writes what it is told): the night quarantines the file
    row = list(ROWS["meeting_log"][0])
    row[2] = "Hội thảo"
    home = Home(tmp_path / "home")
    fill(template, [tuple(row)], home.inbox / "forced.xlsx")
    result = ingest_inbox(home, "ham_yen", now=datetime.now(UTC))
    [quarantined] = result.quarantined
    [record] = list_files(home)
    assert record.status == "quarantined"
    assert "'Hội thảo' không có trong danh mục Loại hội nghị" in (record.reason or "")
    assert "dòng / line 2" in (record.reason or "") and "Loại hội nghị" in record.reason


def test_cli_writes_the_committed_templates(tmp_path: Path):
    import subprocess
    import sys

    bcd35 = str(Path(sys.executable).with_name("bcd35"))
    out = tmp_path / "mau"
    proc = subprocess.run([bcd35, "templates", "--out", str(out)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in TEMPLATES.iterdir())
    for path in out.iterdir():
        assert describe(path) == describe(TEMPLATES / path.name)


@pytest.mark.parametrize("name", ["meeting_log", "bulletin_distribution"])
def test_the_commune_prompt_says_which_list_by_the_date(name: str, fresh: Path,
                                                        monkeypatch: pytest.MonkeyPatch):
    """The drop-down holds both lists; its prompt (and the instructions) say first which one a
    row may use (docs/formats.md#communes), before Excel's 255-character cut."""
    wb = load_workbook(fresh / template_name(KINDS[name]))
    [prompt] = [v.prompt for v in wb[DATA_SHEET].data_validations.dataValidation
                if v.promptTitle == "Xã/Thị trấn"]
    assert prompt.startswith("Theo ngày của dòng (sổ cấp phát: theo Năm): trước 01/07/2025 "
                             "ghi đơn vị cũ hoặc «Huyện»; từ 01/07/2025 ghi xã mới (Xã Hàm Yên,")
    assert "Xã Hùng Đức)" in prompt
    help_text = " ".join(str(c.value) for row in wb[HELP_SHEET].iter_rows() for c in row
                         if c.value)
    assert "từ 01/07/2025 ghi xã mới" in help_text
    # planted fault: without the note the prompt is only the (cut) list
    import bcd35.clerk.templates as templates

    monkeypatch.setattr(templates, "commune_note", lambda: "")
    column = next(c for c in KINDS[name].columns if c.name == "xa_thi_tran")
    assert not rule(column).describe_vi().startswith("Theo ngày của dòng")
