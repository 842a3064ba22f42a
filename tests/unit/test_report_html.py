"""The report page ``exports/Y/index.html`` (bcd35.report.html), without a browser.

The browser test (tests/ui/test_report_page.py) checks it renders; these check what it says,
that it stays offline and that text from the data cannot become markup.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bcd35.report import write_report
from bcd35.report.charts import CHARTS, chart_path
from bcd35.report.html import PAGE_NAME, render_page
from bcd35.report.kpis import ReportData
from tests.unit.test_report_write import FIXTURE, make_home


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> Collect:
    parser = Collect()
    parser.feed(page)
    return parser


@pytest.fixture
def data() -> ReportData:
    return ReportData.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture
def folder(tmp_path, data) -> Path:
    folder = tmp_path / "2024"
    for spec in CHARTS:
        path = chart_path(folder / "bieu_do", spec, data.year)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x89PNG fake")
    for name in ("bao_cao_kpi_2024.xlsx", "bao_cao_2024.docx", "kpi_2024.csv"):
        (folder / name).write_bytes(b"x" * 2048)
    return folder


def _charts(folder: Path, year: int):
    return [(spec, chart_path(folder / "bieu_do", spec, year)) for spec in CHARTS]


def test_page_has_every_kpi_with_vietnamese_numbers(data, folder):
    page = render_page(data, folder, _charts(folder, 2024))
    parsed = _parse(page)
    rows = [a for t, a in parsed.tags if t == "tr" and "data-code" in a]
    assert [a["data-code"] for a in rows] == [k.code for k in data.kpis]
    assert '<html lang="vi">' in page and '<meta charset="utf-8">' in page
    assert "9.960" in page and "2.435.999" in page and "1,53" in page
    assert "Số liệu đã kiểm tra: ĐẠT / Validation passed" in page


def test_page_shows_the_four_charts_and_links_to_the_files_present(data, folder):
    page = render_page(data, folder, _charts(folder, 2024))
    tags = _parse(page).tags
    images = [a["src"] for t, a in tags if t == "img"]
    assert images == [f"bieu_do/{spec.name}_2024.png" for spec in CHARTS]
    links = {a["href"] for t, a in tags if t == "a"}
    assert {"bao_cao_kpi_2024.xlsx", "bao_cao_2024.docx", "kpi_2024.csv"} <= links
    assert "kpi_2024.json" not in links  # not written in this folder: no dead link
    assert "(2 KB)" in page  # sizes the Vietnamese way (1.234,5 KB)


def test_page_works_offline(data, folder):
    page = render_page(data, folder, _charts(folder, 2024))
    tags = _parse(page).tags
    assert not [t for t, _ in tags if t in ("script", "iframe", "object", "embed", "link")]
    urls = [a.get("href") or a.get("src") for _, a in tags if a.get("href") or a.get("src")]
    assert not [u for u in urls if re.match(r"^[a-z]+:", u) or u.startswith("//")], urls
    assert "@import" not in page and "url(" not in page


def test_missing_figures_say_no_data_not_zero(data, folder):
    kpis = [replace(k, value=None, previous_year=None) if k.code == "ban_tin_so_ky" else k
            for k in data.kpis]
    page = render_page(replace(data, kpis=kpis), folder, _charts(folder, 2024))
    row = re.search(r'<tr data-code="ban_tin_so_ky">.*?</tr>', page).group(0)
    assert row.count("Chưa có số liệu") == 2 and ">0<" not in row


def test_text_from_the_data_is_escaped(data, folder):
    hostile = '<script>alert("x")</script>'
    committee = replace(data.committee, name_vi=f"Ban {hostile}")
    kpis = [replace(data.kpis[0], name_vi=f'=HYPERLINK("x") {hostile}'), *data.kpis[1:]]
    manifest = {**data.manifest, "run_id": f"run {hostile}"}
    page = render_page(replace(data, committee=committee, kpis=kpis, manifest=manifest),
                       folder, _charts(folder, 2024))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_page_is_deterministic(data, folder):
    charts = _charts(folder, 2024)
    assert render_page(data, folder, charts) == render_page(data, folder, charts)


def test_write_report_writes_the_page_with_the_audit_pack(tmp_path):
    home = make_home(tmp_path / "home")
    report = write_report(home, 2024, "ham_yen")
    page = report.directory / PAGE_NAME
    assert page in report.files
    text = page.read_text(encoding="utf-8")
    parsed = _parse(text)
    checks = [a for t, a in parsed.tags if t == "table" and a.get("id") == "checks"]
    assert checks and "Hồ sơ kiểm tra" in text
    links = {a["href"] for t, a in parsed.tags if t == "a"}
    assert {"audit/kiem_tra.txt", "audit/validation.json", "audit/SHA256SUMS"} <= links
    for name in ("demo/a.csv", "demo/b.xlsx"):  # every source file with its sha256
        assert name in text
    assert all((report.directory / href).exists() for href in links
               if not href.startswith("#") and not href.startswith("../"))
