"""Airflow's own UI, started as ``make up`` starts it, over a home where ``bcd35 run`` ran.

One ``airflow standalone`` (scheduler, DAG processor, triggerer, API server; SQLite metadata;
LocalExecutor) for the module, on a free port of 127.0.0.1, over a copy of the demo home. The
browser logs in with the generated admin password and finds both DAGs, the successful nightly
run made by ``bcd35 run``, the DAG docs and tags, and the asset that links the nightly DAG to
the annual report DAG. Then a fault is dropped in the inbox and the scheduler runs the nightly
DAG: the audit task fails and its log opens with the clerk-readable list of failed checks.
The standalone's process group is stopped by its PID file at the end (``make down``).
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bcd35 import runs
from bcd35.config import Home
from bcd35.operator import standalone
from tests.support import FIXTURES, bcd35, published_target
from tests.ui.conftest import free_port, keep_screenshot, pixel_spread

NIGHTLY = "bcd35_nightly"
ANNUAL = "bcd35_annual_report"
ASSET_URI = "bcd35://warehouse/published"
FAULT = "distribution_issue1_does_not_add_up.csv"


class Api:
    """Airflow's REST API (v2) with a token from the simple auth manager."""

    def __init__(self, ui: standalone.Standalone):
        self.url = ui.url
        self.token = self.call("POST", "/auth/token",
                               {"username": "admin", "password": ui.admin_password()},
                               auth=False)["access_token"]

    def call(self, method: str, path: str, body: dict | None = None, auth: bool = True):
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode())

    def runs(self, dag_id: str) -> dict[str, dict]:
        doc = self.call("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=50")
        return {r["dag_run_id"]: r for r in doc["dag_runs"]}


def _wait(predicate, timeout: float, what: str, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture(scope="module")
def ui_home(demo_home: Path, tmp_path_factory) -> Home:
    target = tmp_path_factory.mktemp("ui") / "home"
    shutil.copytree(demo_home, target, symlinks=True)
    return Home(target)


@pytest.fixture(scope="module")
def airflow_ui(ui_home: Home):
    """``bcd35 up`` as ``make up`` runs it; ``bcd35 down`` at the end."""
    started = time.monotonic()
    try:
        up = bcd35(ui_home.root, "up", "--port", str(free_port()))
        assert up.returncode == 0, up.stdout + up.stderr
        ui = standalone.running(ui_home)
        assert ui is not None
        print(f"\n[ui] bcd35 up: Airflow answered after {time.monotonic() - started:.0f} s "
              f"on {ui.url}")
        assert ui.url in up.stdout and str(ui.passwords_file) in up.stdout
        yield ui
    finally:
        down = bcd35(ui_home.root, "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert standalone.running(ui_home) is None
    assert not standalone.pid_file(ui_home).exists()


@pytest.fixture(scope="module")
def api(airflow_ui) -> Api:
    return Api(airflow_ui)


@pytest.fixture(scope="module")
def logged_in(browser, airflow_ui):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(airflow_ui.url + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda d: d.find_elements(By.NAME, "username"))
    browser.find_element(By.NAME, "username").send_keys("admin")
    browser.find_element(By.NAME, "password").send_keys(airflow_ui.admin_password())
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(lambda d: "/auth/login" not in d.current_url)
    return browser


def _body(browser) -> str:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.TAG_NAME, "body").text


def test_make_up_keeps_the_generated_admin_password_and_a_pid_file(airflow_ui, ui_home):
    env = standalone.standalone_env(ui_home, 8080)
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert airflow_ui.passwords_file.parent == ui_home.airflow
    assert airflow_ui.admin_password()
    assert standalone.pid_file(ui_home).read_text().split()[0] == str(airflow_ui.pid)
    assert standalone.running(ui_home) == airflow_ui
    assert standalone.up(ui_home, 1) == airflow_ui  # already up: the same one, nothing new


def test_dag_list_shows_both_dags(logged_in, airflow_ui):
    def listed() -> bool:
        logged_in.get(airflow_ui.url + "/dags")
        time.sleep(2)  # let the page render its list
        body = _body(logged_in)
        return NIGHTLY in body and ANNUAL in body

    _wait(listed, 120, "both DAGs in the DAG list", interval=3)


def test_nightly_page_shows_the_successful_run_of_bcd35_run(logged_in, airflow_ui, ui_home,
                                                            screenshots_dir):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    [published] = [r for r in runs.recent(ui_home, limit=5) if r.status == "published"]
    logged_in.get(f"{airflow_ui.url}/dags/{NIGHTLY}/runs")

    def success_row():  # read in one script: React re-renders the table while it loads
        return logged_in.execute_script("""
            for (const row of document.querySelectorAll('tbody tr')) {
                const cells = {};
                row.querySelectorAll('[data-testid^="table-cell-"]').forEach(
                    c => { cells[c.dataset.testid] = c.innerText; });
                if (cells['table-cell-dag_run_id'] === arguments[0]) return cells;
            }
            return null;""", published.run_id)

    cells = WebDriverWait(logged_in, 60).until(lambda d: success_row())
    assert cells["table-cell-state"].strip().lower() == "success"

    logged_in.get(f"{airflow_ui.url}/dags/{NIGHTLY}")
    wait = WebDriverWait(logged_in, 60)
    wait.until(lambda d: d.find_elements(
        By.CSS_SELECTOR, f"[data-testid='grid-{published.run_id}-publish']"))
    header = " ".join(_body(logged_in).split())
    assert re.search(r"Tags bcd35 , nightly , warehouse", header), header[:600]
    time.sleep(1)  # the duration chart animates in
    png = logged_in.get_screenshot_as_png()
    grey, colours = pixel_spread(png)
    assert grey > 10 and colours > 50, (grey, colours)
    keep_screenshot(png, "airflow_ui.png", screenshots_dir)

    logged_in.find_element(By.CSS_SELECTOR, "[data-testid=markdown-button]").click()
    dialog = wait.until(lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "[role=dialog]")
                                   if "bcd35 nightly load" in e.text])
    assert "audit" in dialog[0].text  # the DAG's doc_md


def test_asset_links_the_nightly_dag_to_the_annual_report(logged_in, airflow_ui, api):
    [asset] = [a for a in api.call("GET", "/api/v2/assets")["assets"] if a["uri"] == ASSET_URI]
    assert {(t["dag_id"], t["task_id"]) for t in asset["producing_tasks"]} == {
        (NIGHTLY, "publish")}
    assert {d["dag_id"] for d in asset["scheduled_dags"]} == {ANNUAL}
    logged_in.get(f"{airflow_ui.url}/dags/{ANNUAL}")
    _wait(lambda: ASSET_URI in _body(logged_in), 30, "the asset as the annual DAG's schedule")
    annual = api.call("GET", f"/api/v2/dags/{ANNUAL}")
    assert {t["name"] for t in annual["tags"]} >= {"bcd35", "report"}


def _log_text(event: dict) -> str:
    parts = [str(event.get("event", ""))]
    for detail in event.get("error_detail") or []:
        parts.append(f"{detail.get('exc_type')}: {detail.get('exc_value')}")
    return "\n".join(parts)


def test_a_withheld_partition_is_said_in_the_audit_task_log(
        logged_in, airflow_ui, api, ui_home):
    published = published_target(ui_home.root)
    shutil.copy(FIXTURES / FAULT, ui_home.inbox / FAULT)
    before = set(api.runs(NIGHTLY))
    started = time.monotonic()
    # Unpausing makes the scheduler start the run of the latest night (catchup=False); the DAG
    # stays unpaused until that run ends (the scheduler does not advance a paused DAG's runs).
    api.call("PATCH", f"/api/v2/dags/{NIGHTLY}", {"is_paused": False})
    try:
        run_id = _wait(lambda: next(iter(set(api.runs(NIGHTLY)) - before), None), 90,
                       "the scheduler to start a nightly run")
        run = _wait(lambda: (r := api.runs(NIGHTLY)[run_id])["state"] in ("success", "failed")
                    and r, 300, "the nightly run to finish", interval=2)
    finally:
        api.call("PATCH", f"/api/v2/dags/{NIGHTLY}", {"is_paused": True})
    print(f"\n[ui] scheduled nightly run ended {run['state']} after "
          f"{time.monotonic() - started:.0f} s")
    # the fault concerns Hàm Yên 2024 only: that partition is withheld, the rest published
    assert run["state"] == "success"
    quoted = urllib.parse.quote(run_id, safe="")
    tis = api.call("GET", f"/api/v2/dags/{NIGHTLY}/dagRuns/{quoted}/taskInstances")
    states = {t["task_id"]: t["state"] for t in tis["task_instances"]}
    assert states == {"ingest": "success", "build": "success", "audit": "success",
                      "publish": "success"}
    assert published_target(ui_home.root) != published

    log = api.call("GET", f"/api/v2/dags/{NIGHTLY}/dagRuns/{quoted}/taskInstances/audit/"
                          "logs/1?full_content=true")
    events = log["content"]
    # the reader's own "source details" group comes first; then the task's log
    text = "\n".join(_log_text(e) for e in events)
    # the task log says what `bcd35 run` says: the partition withheld, the check, the issue
    assert "ham_yen 2024" in text and "bulletin_reconciliation" in text, text[-2000:]
    assert "1/2024" in text  # names the bulletin issue, as the clerk reads it

    logged_in.get(f"{airflow_ui.url}/dags/{NIGHTLY}/runs/{quoted}/tasks/audit")
    body = _wait(lambda: (b := _body(logged_in)) and "withheld" in b and b, 60,
                 "the audit log in the browser")
    assert "bulletin_reconciliation" in body
