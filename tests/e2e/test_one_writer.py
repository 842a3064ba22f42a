"""One writer per home, what a night did, and a home that can move (real CLI processes).

- two and then ten ``bcd35 run`` started together on one home: exactly one builds and
  publishes, the others exit 6 (another writer holds the home), no traceback, ``report`` works;
- a night whose new files are all quarantined exits 4 and lists them with the fix; no
  control character from a hostile cell reaches ``status`` or the text report;
- a fresh home is private; a home moved to another path keeps working links.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import subprocess
import unicodedata
from pathlib import Path

import duckdb

from tests.support import BCD35, FIXTURES, bcd35, clean_env

NEW_MEETING = FIXTURES / "meeting_log_one_new_meeting.csv"
INGEST_FIXTURES = FIXTURES.parent / "ingest"
ESCAPES = INGEST_FIXTURES / "meeting_log_terminal_escapes.csv"
BAD_NUMBER = INGEST_FIXTURES / "meeting_log_bad_so_dai_bieu.csv"


def _together(home: Path, n: int, *args: str) -> list[tuple[int, str]]:
    """``n`` ``bcd35 run`` started at once; (exit code, output) of each."""
    procs = [subprocess.Popen([BCD35, "run", "--home", str(home), *args], env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for _ in range(n)]
    return [(proc.wait(timeout=1800), proc.stdout.read()) for proc in procs]


def _published_runs(home: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(home / "state" / "bcd35.sqlite") as con:
        return [r[0] for r in con.execute("select run_id from runs where status = 'published'")]


def _check_round(home: Path, results: list[tuple[int, str]], published_before: int) -> None:
    codes = sorted(code for code, _ in results)
    outputs = "\n".join(out for _, out in results)
    assert codes == [0] + [6] * (len(results) - 1), outputs
    assert "Traceback" not in outputs
    assert outputs.count("BUSY") == len(results) - 1
    assert len(_published_runs(home)) == published_before + 1, outputs
    status = bcd35(home, "status").stdout
    assert "audit_failed" not in status and "build_failed" not in status
    report = bcd35(home, "report", "--year", "2024")
    assert report.returncode == 0, report.stderr


def test_two_then_ten_runs_together_one_builds_the_others_exit_6(home_copy: Path):
    builds = home_copy / "warehouse" / "builds"
    before = set(builds.glob("*.duckdb"))
    published = len(_published_runs(home_copy))
    shutil.copy(NEW_MEETING, home_copy / "inbox")
    _check_round(home_copy, _together(home_copy, 2), published)
    assert len(set(builds.glob("*.duckdb")) - before) == 1  # one candidate built, not two
    _check_round(home_copy, _together(home_copy, 10, "--force"), published + 1)
    assert len(set(builds.glob("*.duckdb")) - before) == 2


def _controls(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]


def test_a_night_of_quarantined_files_exits_4_and_lists_them(home_copy: Path):
    shutil.copy(ESCAPES, home_copy / "inbox")
    shutil.copy(BAD_NUMBER, home_copy / "inbox")
    run = bcd35(home_copy, "run")
    assert run.returncode == 4, run.stdout + run.stderr
    out = run.stdout
    assert "quarantined: 2" in out
    for name in (ESCAPES.name, BAD_NUMBER.name):
        assert re.search(rf"! {re.escape(name)}: .+\n    sửa / fix: .+\.html", out), out
    assert "skipped: 11" in out  # the demo files, same bytes as before
    assert _controls(run.stdout + run.stderr) == []
    status = bcd35(home_copy, "status")
    assert status.returncode == 0
    assert ESCAPES.name in status.stdout and _controls(status.stdout) == []
    for report in (home_copy / "quarantine").glob("*.txt"):
        assert _controls(report.read_text(encoding="utf-8")) == [], report


def test_a_fresh_home_after_a_run_is_private(demo_home: Path):
    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(demo_home) == 0o750
    for folder in ("inbox", "originals", "raw", "state", "warehouse", "quarantine"):
        assert mode(demo_home / folder) == 0o750, folder
    originals = [p for p in (demo_home / "originals").rglob("*") if p.is_file()]
    raws = [p for p in (demo_home / "raw").rglob("*.parquet")]
    assert originals and {mode(p) for p in originals} == {0o440}
    assert raws and {mode(p) for p in raws} == {0o640}
    assert mode(demo_home / "secrets" / "pseudonym.key") == 0o600
    builds = list((demo_home / "warehouse" / "builds").glob("*.duckdb"))
    assert builds and all(mode(p) & 0o007 == 0 for p in builds)  # nothing for other users


def test_a_moved_home_keeps_working_links(home_copy: Path, tmp_path: Path):
    moved = tmp_path / "elsewhere" / "home"
    moved.parent.mkdir()
    shutil.move(home_copy, moved)
    assert not home_copy.exists()
    status = bcd35(moved, "status")
    assert status.returncode == 0, status.stderr
    assert str(home_copy) not in status.stdout
    assert f"file://{moved}/warehouse/builds/" in status.stdout  # Data Docs, in the new place
    published = (moved / "warehouse" / "bcd35.duckdb").resolve()
    manifest = json.loads(published.with_suffix(".json").read_text())
    assert str(home_copy) not in json.dumps(manifest)
    docs = Path(manifest["data_docs"])
    assert not docs.is_absolute() and (moved / docs).is_file()
    with duckdb.connect(str(moved / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        assert con.sql("select count(*) from marts.mart_kpi_annual").fetchone()[0] > 0
    report = bcd35(moved, "report", "--year", "2024")
    assert report.returncode == 0, report.stderr
    page = next((moved / "exports").rglob("index.html"))
    hrefs = [h for h in re.findall(r'href="([^"#]+)"', page.read_text(encoding="utf-8"))
             if "://" not in h and not h.startswith("mailto:")]
    assert hrefs
    for href in hrefs:
        assert (page.parent / href).exists(), href
    assert str(home_copy) not in page.read_text(encoding="utf-8")
