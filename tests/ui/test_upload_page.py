"""The clerks' upload page in a real browser (headless Chromium), served by ``bcd35 upload``.

Log in, drop a good and a bad file, read the bad file's problems, accept the good one, run a
night with the real CLI, see it loaded. Refused: no login, a file name with a path, a file
over the size limit, a type not allowed. Screenshots for the README's clerks' section.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bcd35.clerk.templates import template_name
from bcd35.config import Home
from bcd35.ingest import list_files
from bcd35.ingest.kinds import KINDS
from tests.clerk.filling import ROWS, TEMPLATES, fill
from tests.support import BCD35, bcd35, clean_env
from tests.ui.conftest import free_port, keep_screenshot

INGEST_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
MAX_BYTES = 200_000
READY_TIMEOUT_S = 60


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def server(demo_home: Path, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("upload") / "home"
    shutil.copytree(demo_home, home, symlinks=True)
    port = free_port()
    env = clean_env()
    env["BCD35_UPLOAD_MAX_BYTES"] = str(MAX_BYTES)
    proc = subprocess.Popen([BCD35, "upload", "--home", str(home), "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:  # poll until it answers
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
        assert time.monotonic() < deadline, "the upload page did not start"
    try:
        yield url, home
    finally:
        proc.terminate()
        proc.wait(20)


def _login(browser, url: str, home: Path) -> None:
    from selenium.webdriver.common.by import By

    password = json.loads((home / "secrets" / "upload.json").read_text())["password"]
    assert (home / "secrets" / "upload.json").stat().st_mode & 0o777 == 0o600
    browser.get(f"{url}/")
    assert browser.current_url.endswith("/login")  # no login, no page
    browser.find_element(By.ID, "username").send_keys("vanthu")
    browser.find_element(By.ID, "password").send_keys("wrong")
    browser.find_element(By.ID, "login").click()
    assert "Sai tên đăng nhập" in _element(browser, By.ID, "login-error").text
    browser.find_element(By.ID, "username").send_keys("vanthu")
    browser.find_element(By.ID, "password").send_keys(password)
    button = browser.find_element(By.ID, "login")
    button.click()
    _replaced(browser, button)  # the login page is gone: its answer has loaded
    assert browser.current_url.rstrip("/") == url


def _drop(browser, *paths: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in paths))
    browser.find_element(By.ID, "check").click()


def _shown(browser, text: str, timeout: float = 60) -> None:
    """Wait (polling, bounded) until the page the form was posted to shows ``text``."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout).until(lambda b: text in b.page_source)


def _replaced(browser, element, timeout: float = 60) -> None:
    """Wait (polling, bounded) until ``element``'s page is gone: the answer to a form posted
    from it has loaded (on a loaded machine it arrives after the click returns)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    stale = expected_conditions.staleness_of(element)

    def gone(browser) -> bool:
        try:
            return stale(browser)
        except WebDriverException as exc:
            # asked while the new page replaces the old one, chromedriver may answer this for
            # the old page's element instead of "stale" (seen in a test run on a busy machine)
            if "does not belong to the document" in str(exc):
                return True
            raise

    WebDriverWait(browser, timeout).until(gone)


def _element(browser, by: str, value: str, timeout: float = 60):
    """The element, once the page the form was posted to shows it (polling, bounded: on a
    loaded machine the response arrives after the click returns)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(
        expected_conditions.presence_of_element_located((by, value)))


def _article(browser, name: str, timeout: float = 60):
    """The file's card, once the page the form was posted to shows it (polling, bounded: on
    a loaded machine the response arrives after the click returns)."""
    from selenium.webdriver.common.by import By

    return _element(browser, By.CSS_SELECTOR, f'article[data-name="{name}"]', timeout)


def test_refused_without_login(server):
    url, home = server
    before = _tree(home / "inbox")
    anonymous = httpx.post(f"{url}/upload", files={"files": ("a.csv", b"x")},
                           follow_redirects=False)
    assert anonymous.status_code == 403
    assert httpx.get(f"{url}/", follow_redirects=False).headers["location"] == "/login"
    assert httpx.get(f"{url}/mau/mau_meeting_log.xlsx",
                     follow_redirects=False).status_code == 303
    assert _tree(home / "inbox") == before


def test_clerk_drops_checks_accepts_and_sees_it_loaded(server, browser, tmp_path: Path,
                                                      screenshots_dir: Path):
    from selenium.webdriver.common.by import By

    url, home = server
    _login(browser, url, home)
    good = fill(TEMPLATES / template_name(KINDS["meeting_log"]), ROWS["meeting_log"],
                tmp_path / "so_hoi_nghi_2025.xlsx")
    bad = tmp_path / "so_hoi_nghi_loi.csv"
    shutil.copyfile(INGEST_FIXTURES / "meeting_log_bad_values.csv", bad)
    inbox_before = _tree(home / "inbox")

    _drop(browser, good, bad)

    bad_card = _article(browser, bad.name)
    assert "KHÔNG ĐẠT" in bad_card.text
    assert "'Hội thảo' không có trong danh mục Loại hội nghị" in bad_card.text
    assert "'31/02/2024' không phải ngày có thật" in bad_card.text
    assert len(bad_card.find_elements(By.CSS_SELECTOR, "table.errors tbody tr")) == 6
    assert bad_card.find_elements(By.CSS_SELECTOR, "button.accept") == []
    good_card = _article(browser, good.name)
    assert "ĐẠT / OK" in good_card.text and "ham_yen năm / year 2025: 3" in good_card.text
    assert _tree(home / "inbox") == inbox_before  # checked, nothing written yet
    browser.set_window_size(1280, 1300)
    keep_screenshot(browser.get_screenshot_as_png(), "upload_check.png", screenshots_dir)
    browser.set_window_size(1280, 900)

    good_card.find_element(By.CSS_SELECTOR, "button.accept").click()
    _shown(browser, "Đã nhận «so_hoi_nghi_2025.xlsx» vào inbox/ham_yen/")
    accepted = home / "inbox" / "ham_yen" / good.name
    assert accepted.read_bytes() == good.read_bytes()
    added = set(_tree(home / "inbox")) - set(inbox_before)
    assert added == {f"ham_yen/{good.name}"}  # only the accepted file, only in its folder
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-path="ham_yen/{good.name}"]')
    assert "chờ lần chạy đêm nay" in row.text

    run = bcd35(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    [record] = [f for f in list_files(Home(home)) if f.original_path.endswith(good.name)]
    assert record.status == "loaded" and record.rows == 3

    browser.get(f"{url}/")
    bad_card = _article(browser, bad.name)
    bad_card.find_element(By.CSS_SELECTOR, "button.discard").click()
    _replaced(browser, bad_card)  # the form was posted and its answer is the page now
    assert browser.find_elements(By.CSS_SELECTOR, "article.check") == []
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-path="ham_yen/{good.name}"]')
    assert "đã nạp / loaded" in row.text and "3" in row.text
    browser.set_window_size(1280, 1000)
    keep_screenshot(browser.get_screenshot_as_png(), "upload_delivered.png", screenshots_dir)
    browser.set_window_size(1280, 900)


def _csrf_and_cookies(browser) -> tuple[str, dict[str, str]]:
    from selenium.webdriver.common.by import By

    token = browser.find_element(By.CSS_SELECTOR, "#upload-form input[name=csrf]")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    return token.get_attribute("value"), cookies


def test_refused_type_size_and_path(server, browser, tmp_path: Path):
    url, home = server
    browser.get(f"{url}/")
    if browser.current_url.endswith("/login"):
        _login(browser, url, home)
    before = _tree(home)
    text = tmp_path / "ghi_chu.txt"
    text.write_text("Ngày,Tên hội nghị\n", encoding="utf-8")
    _drop(browser, text)
    _shown(browser, "«ghi_chu.txt»: chỉ nhận tệp .csv hoặc .xlsx.")

    big = tmp_path / "qua_lon.csv"
    big.write_bytes((INGEST_FIXTURES / "meeting_log_comma.csv").read_bytes()
                    + b"\n" * (MAX_BYTES + 100_000))
    _drop(browser, big)
    _shown(browser, "Tệp quá lớn")
    assert "Too large" in browser.page_source
    browser.get(f"{url}/")
    assert "tối đa 195 KB mỗi tệp" in browser.page_source

    browser.get(f"{url}/")
    token, cookies = _csrf_and_cookies(browser)
    body = (INGEST_FIXTURES / "meeting_log_comma.csv").read_bytes()
    for name in ("../../evil.csv", "ham_yen/../../evil.csv", "..\\evil.csv", "sub/ok.csv"):
        answer = httpx.post(f"{url}/upload", data={"csrf": token}, cookies=cookies,
                            files={"files": (name, body, "text/csv")}, follow_redirects=False)
        assert answer.status_code == 400, name
        assert "đường dẫn thư mục" in answer.text, name
    # a bad CSRF token is refused too
    forged = httpx.post(f"{url}/upload", data={"csrf": "forged"}, cookies=cookies,
                        files={"files": ("ok.csv", body, "text/csv")}, follow_redirects=False)
    assert forged.status_code == 403
    after = _tree(home)
    assert {k: v for k, v in after.items() if not k.startswith("airflow/")} == \
        {k: v for k, v in before.items() if not k.startswith("airflow/")}
    assert not list(home.parent.glob("*evil*")) and not (home / "evil.csv").exists()
    assert re.search(r"evil", " ".join(after)) is None
