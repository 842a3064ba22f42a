"""Browser tests: Debian's headless chromium driven by Selenium through chromium-driver.

Chromium runs with a fresh profile and everything that could reach the network turned off;
the pages it opens are on 127.0.0.1 or ``file://``. Where chromium or its driver is missing the
browser tests are skipped, except under CI (``CI=true``), where a missing browser is a failure:
``scripts/ensure-chromium`` installs both first.

Screenshots go to the test's temporary folder; with ``BCD35_UPDATE_SCREENSHOTS=1`` they also
replace the ones the README shows (``docs/airflow_ui.png``, ``docs/report_page.png``).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--force-device-scale-factor=1",
    "--lang=vi-VN",
)
WINDOW = (1280, 900)
DOCS = REPO / "docs"
MAX_SCREENSHOT_BYTES = 300_000


def _need_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (Python package)")
    if not missing:
        return
    message = f"browser tests need {', '.join(missing)}: run scripts/ensure-chromium"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    """A headless chromium with a fresh profile; quit (and its driver stopped) afterwards."""
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                 f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        options.add_argument(flag)
    # the UI shows times in the browser's zone: Hàm Yên's, as the office reads them
    service = Service(executable_path=CHROMEDRIVER, log_output=os.devnull,
                      env={**os.environ, "TZ": "Asia/Ho_Chi_Minh"})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            process = getattr(service, "process", None)
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keep_screenshot(png: bytes, name: str, directory: Path) -> Path:
    """Save a screenshot (palette PNG, small) in ``directory``; with
    ``BCD35_UPDATE_SCREENSHOTS=1`` also as ``docs/<name>``."""
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = BytesIO()
    small.save(out, format="PNG", optimize=True)
    data = out.getvalue()
    assert len(data) < MAX_SCREENSHOT_BYTES, f"{name}: {len(data)} bytes"
    path = directory / name
    path.write_bytes(data)
    if os.environ.get("BCD35_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        (DOCS / name).write_bytes(data)
    return path


def pixel_spread(png: bytes) -> tuple[float, int]:
    """(standard deviation of the grey levels, number of distinct colours) of a screenshot:
    a blank or one-colour page has both near zero."""
    from io import BytesIO

    from PIL import Image, ImageStat

    image = Image.open(BytesIO(png)).convert("RGB")
    grey = ImageStat.Stat(image.convert("L")).stddev[0]
    colours = image.getcolors(maxcolors=1 << 20)
    return grey, len(colours) if colours else 1 << 20


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")
