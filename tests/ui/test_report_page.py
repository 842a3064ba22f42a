"""The report page ``exports/2024/index.html`` in a real browser, opened from disk (offline).

The demo home's report (written by the real ``bcd35 report``) must show the KPI table with the
figures of the 2024 review and the four charts loaded; the screenshot is checked for content.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.conftest import keep_screenshot, pixel_spread

KPI_CODES = 14  # every code of the catalogue (docs/development.md#kpis)


@pytest.fixture(scope="module")
def report_page(demo_home: Path, browser):
    page = demo_home / "exports" / "2024" / "index.html"
    assert page.is_file(), "bcd35 report must write index.html"
    browser.get(page.as_uri())
    browser.execute_script("return document.readyState")
    return browser


def test_kpi_table_shows_the_2024_review(report_page):
    from selenium.webdriver.common.by import By

    rows = report_page.find_elements(By.CSS_SELECTOR, "#kpi-table tbody tr")
    assert len(rows) == KPI_CODES
    by_code = {r.get_attribute("data-code"): r.text for r in rows}
    assert "96" in by_code["hoi_nghi_thong_tin_thoi_su"]
    assert "9.960" in by_code["ban_tin_so_cuon"]
    assert "873" in by_code["ctv_tin_bai_chia_se"]
    assert "2.435.999" in by_code["ctv_luot_tiep_can_tuong_tac"]
    assert "1,53" in by_code["fanpage_tin_bai_binh_quan_ngay"]
    badge = report_page.find_element(By.ID, "validation").text
    assert "ĐẠT" in badge and "passed" in badge


def test_the_four_charts_load(report_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(report_page, 20).until(lambda d: d.execute_script(
        "return [...document.images].every(i => i.complete)"))
    images = report_page.find_elements(By.CSS_SELECTOR, "#bieu-do img")
    assert len(images) == 4
    sizes = [report_page.execute_script("return [arguments[0].naturalWidth, "
                                        "arguments[0].naturalHeight]", img) for img in images]
    assert all(w > 0 and h > 0 for w, h in sizes), sizes


def test_links_and_audit_pack_resolve_offline(report_page, demo_home: Path):
    from selenium.webdriver.common.by import By

    folder = demo_home / "exports" / "2024"
    hrefs = [a.get_attribute("href") for a in report_page.find_elements(By.CSS_SELECTOR, "a")]
    local = [h for h in hrefs if h.startswith("file://") and "#" not in h]
    names = {Path(h).name for h in local}
    assert {"bao_cao_kpi_2024.xlsx", "bao_cao_2024.docx", "kpi_2024.csv",
            "kiem_tra.txt", "SHA256SUMS"} <= names
    from urllib.parse import unquote, urlparse

    assert all(Path(unquote(urlparse(h).path)).exists() for h in local)
    assert not [h for h in hrefs if h.startswith(("http://", "https://"))]  # offline
    checks = report_page.find_elements(By.CSS_SELECTOR, "#checks tbody tr")
    assert checks and all("ĐẠT" in c.text or "CẢNH BÁO" in c.text for c in checks)
    sources = report_page.find_elements(By.CSS_SELECTOR, "#sources tbody tr")
    assert len(sources) == len(list((folder / "audit" / "SHA256SUMS").read_text().splitlines()))


def test_screenshot_has_content(report_page, screenshots_dir: Path):
    report_page.set_window_size(1280, 1700)
    try:
        png = report_page.get_screenshot_as_png()
    finally:
        report_page.set_window_size(1280, 900)
    grey, colours = pixel_spread(png)
    assert grey > 20 and colours > 200, (grey, colours)  # a blank page: ~0 and a handful
    keep_screenshot(png, "report_page.png", screenshots_dir)
