"""The analysts' SQL shell (bcd35.sql, `make sql`) and docs site (`make docs`), with real
processes: the DuckDB CLI on the published warehouse, a full `bcd35 run` beside it."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from bcd35.config import resolve_home
from bcd35.sql import open_shell, shell_command
from tests.dbt.conftest import bcd35, clean_env

END = "--end-of-answer--"
LONG_QUERY = "select count(*) from range(300000000) as t(i) where hash(i) % 7 = 0;"
EXTRA_MEETING = (
    "Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu\n"
    "20/12/2024,Hội nghị thông tin thời sự bổ sung tháng 12/2024,Thông tin thời sự,"
    "Đảng ủy xã Phù Lưu,Phù Lưu,45\n"
)


class Session:
    """An analyst's DuckDB CLI session driven through its stdin, one answer at a time."""

    def __init__(self, home: Path, stderr_path: Path):
        self.stderr = stderr_path.open("w")
        self.proc = subprocess.Popen(
            shell_command(resolve_home(home), ["-csv", "-noheader"]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True,
            bufsize=1, env=clean_env())

    def ask(self, sql: str) -> list[str]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(f"{sql}\n.print {END}\n")
        self.proc.stdin.flush()
        lines = []
        while (line := self.proc.stdout.readline()) != "":
            if line.strip() == END:
                return lines
            lines.append(line.strip())
        raise AssertionError(f"the shell ended while answering {sql!r}: {lines}")

    def close(self) -> int:
        assert self.proc.stdin
        self.proc.stdin.close()
        code = self.proc.wait(timeout=60)
        self.stderr.close()
        return code


def test_open_session_and_nightly_run_never_block_each_other(published_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    link = home / "warehouse" / "bcd35.duckdb"
    old_build = link.resolve()
    (home / "inbox" / "late").mkdir(parents=True)
    (home / "inbox" / "late" / "hoi_nghi_bo_sung.csv").write_text(EXTRA_MEETING, encoding="utf-8")

    session = Session(home, tmp_path / "session.stderr")
    count_sql = "select count(*) from marts.fct_meetings;"
    assert session.ask(count_sql) == ["136"]

    # the session stays open all night; from the moment the candidate build appears (dbt,
    # audit, publish) the analyst runs long queries back to back
    busy: list[tuple[float, float, bool, list[str]]] = []
    stop = threading.Event()
    builds = home / "warehouse" / "builds"

    def analyst() -> None:
        while not stop.is_set():
            long = any(p != old_build for p in builds.glob("*.duckdb"))
            started = time.time()
            answer = session.ask((LONG_QUERY + "\n" if long else "") + count_sql)
            busy.append((started, time.time(), long, answer))
            if not long:
                time.sleep(0.5)

    worker = threading.Thread(target=analyst)
    worker.start()
    try:
        night = bcd35(home, "run")
    finally:
        stop.set()
        worker.join(timeout=120)

    assert night.returncode == 0, night.stdout[-3000:] + night.stderr[-3000:]
    new_build = link.resolve()
    assert new_build != old_build
    published_at = link.lstat().st_mtime
    assert any(start - 0.5 <= published_at <= end + 0.5
               for start, end, long, _ in busy if long), "a long query ran during the publish"
    assert all(answer[-1] == "136" for *_, answer in busy)  # the old build, all night

    assert session.ask(count_sql) == ["136"]  # still the build it opened
    assert session.close() == 0
    errors = (tmp_path / "session.stderr").read_text()
    assert errors == "", errors  # no lock error, no error at all

    again = Session(home, tmp_path / "again.stderr")
    assert again.ask(count_sql) == ["137"]  # a new session sees last night's build
    assert again.close() == 0


def test_shell_refuses_files_programs_and_writes(published_home, tmp_path):
    out = tmp_path / "out.csv"
    script = "\n".join([
        "select current_setting('enable_external_access'), current_setting('lock_configuration');",
        "select * from read_csv('/etc/passwd');",
        "SET enable_external_access = true;",
        f"copy (select 1) to '{out}';",
        f"attach '{tmp_path / 'other.duckdb'}' as other;",
        "create table marts.scratch as select 1 as x;",
        ".shell echo SHELL-RAN",
        f".open {tmp_path / 'opened.duckdb'}",
        "select count(*) from marts.mart_kpi_annual;",
    ]) + "\n"
    proc = subprocess.run(shell_command(resolve_home(published_home), ["-csv", "-noheader"]),
                          input=script, capture_output=True, text=True, timeout=60,
                          env=clean_env())
    lines = proc.stdout.splitlines()
    assert lines[0] == "false,true"
    assert "SHELL-RAN" not in proc.stdout
    assert 'Cannot access file "/etc/passwd"' in proc.stderr
    assert "configuration has been locked" in proc.stderr
    assert proc.stderr.count("file system operations are disabled by configuration") >= 3
    assert "read-only" in proc.stderr.lower()
    assert ".sh/.system cannot be used in -safe mode" in proc.stderr
    assert ".open cannot be used in -safe mode" in proc.stderr
    assert not out.exists() and not (tmp_path / "opened.duckdb").exists()
    assert int(lines[-1]) > 0  # the session still answers after all that


def test_open_shell_without_a_published_warehouse(tmp_path, capsys):
    assert open_shell(resolve_home(tmp_path / "empty")) == 2
    assert "bcd35 run" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_docs_site_is_built_and_served_on_localhost(published_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bcd35.sql", "docs", "--home", str(home), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=clean_env())
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html") as page:
                    assert page.status == 200 and b"dbt" in page.read()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the docs site did not come up"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json") as page:
            manifest = json.load(page)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json") as page:
            catalog = json.load(page)
    finally:
        server.terminate()
        server.wait(timeout=30)
    fct = manifest["nodes"]["model.bcd35.fct_meetings"]
    assert fct["description"].startswith("One row per meeting")
    assert "Số đại biểu" in fct["columns"]["n_attendees"]["description"]
    assert "model.bcd35.fct_meetings" in catalog["nodes"]  # column types of the real build
    assert "model.bcd35.stg_office__meetings" in manifest["parent_map"][
        "model.bcd35.int_meetings_deduplicated"]  # lineage
    with pytest.raises(OSError):  # localhost only: nothing listens after the server stops
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def _session_output(home: Path, terminal: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(shell_command(resolve_home(home), terminal=terminal),
                          input=".tables\n", capture_output=True, text=True, timeout=120,
                          env=clean_env())


def test_session_opens_on_the_marts_in_plain_text_when_not_on_a_terminal(published_home):
    proc = _session_output(published_home, terminal=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "\x1b[" not in out  # no colour codes in a pipe or a file
    banner, *rest = out.splitlines()
    # the banner is printed whole: no stray quote, nothing cut at an apostrophe
    assert banner.startswith("bcd35 — ") and banner.endswith("section for analysts.")
    assert "'" not in banner
    listing = "\n".join(rest)
    # the marts come first, each with its description, before .tables shows everything
    first_table = listing.index("mart_kpi_annual")
    assert first_table < listing.index("audit_meeting_dates")
    assert "marts_table" in listing[:first_table]
    tables_start = listing.index("audit_meeting_dates")
    assert "One row per committee, year and KPI code" in listing[:tables_start]
    assert "stg_" not in listing[:tables_start] and "stg_" in listing[tables_start:]


def test_session_keeps_its_colours_on_a_terminal(published_home):
    """The planted opposite: told it writes to a terminal, the shell colours its output — so
    the plain-text test above would catch a shell that never switched colours off."""
    assert "\x1b[" in _session_output(published_home, terminal=True).stdout
