"""``bcd35 check``: the quarantine report's problems before a file is dropped; writes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ALL_FIXTURES = sorted(p for folder in ("ingest", "e2e") for p in (FIXTURES / folder).iterdir()
                      if p.suffix in (".csv", ".xlsx"))
BCD35 = str(Path(sys.executable).with_name("bcd35"))


def check(*args: str, cwd: Path | None = None, env: dict | None = None) -> tuple[int, dict]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BCD35_")}
    proc = subprocess.run([BCD35, "check", "--json", *args], capture_output=True, text=True,
                          cwd=cwd, env={**environ, **(env or {})}, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def test_check_gives_the_quarantine_reports_problems_on_every_fixture(tmp_path: Path):
    home = Home(tmp_path / "home")
    home.inbox.mkdir(parents=True)
    for path in ALL_FIXTURES:
        shutil.copyfile(path, home.inbox / path.name)
    result = ingest_inbox(home, "ham_yen")
    assert len(result.quarantined) >= 20  # most fixtures carry a fault
    code, out = check(*(str(p) for p in ALL_FIXTURES))
    assert code == 1 and out["ok"] is False
    by_name = {Path(f["file"]).name: f for f in out["files"]}
    registry = {f.original_path: f for f in list_files(home)}
    assert set(by_name) == set(registry) == {p.name for p in ALL_FIXTURES}
    for name, checked in by_name.items():
        record = registry[name]
        assert checked["sha256"] == record.sha256
        if record.status == "quarantined":
            report = json.loads((home.quarantine / f"{record.sha256}.json").read_text())
            assert checked["ok"] is False, name
            assert checked["errors"] == report["errors"], name
            assert checked["rows"] == report["rows"], name
            assert checked["kind_guess"] == report["kind_guess"], name
        else:
            assert checked["ok"] is True and checked["errors"] == [], name
            assert checked["rows"]["accepted"] == record.rows, name
            assert sorted(checked["kinds"]) == sorted(record.kinds), name


def test_good_file_exit_0_with_kind_rows_and_partitions():
    code, out = check(str(FIXTURES / "ingest" / "meeting_log_comma.csv"))
    assert code == 0
    [f] = out["files"]
    assert f["kinds"] == ["meeting_log"] and f["rows"]["accepted"] == 4
    assert sum(p["rows"] for p in f["partitions"]) == 4
    assert {p["committee"] for p in f["partitions"]} == {"ham_yen"}


def _tree(root: Path) -> dict[str, tuple]:
    out = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        out[path.relative_to(root).as_posix()] = (info.st_mode, info.st_size,
                                                  info.st_mtime_ns, digest)
    return out


@pytest.fixture
def loaded_home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.inbox.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "ingest" / "meeting_log_comma.csv", home.inbox / "so_hn.csv")
    shutil.copyfile(FIXTURES / "ingest" / "meeting_log_bad_values.csv", home.inbox / "sai.csv")
    ingest_inbox(home, "ham_yen")
    return home


def test_check_writes_nothing_in_the_home_cwd_or_tmp(loaded_home: Path, tmp_path: Path):
    cwd, tmp = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmp.mkdir()
    before = _tree(loaded_home.root)
    changed = tmp_path / "changed.csv"
    changed.write_bytes((FIXTURES / "ingest" / "meeting_log_comma.csv").read_bytes()
                        .replace("Thông tin thời sự".encode(), "Tập huấn".encode(), 1))
    files = [str(loaded_home.inbox / "so_hn.csv"), str(changed),
             str(FIXTURES / "ingest" / "meeting_log_bad_values.csv")]
    env = {"TMPDIR": str(tmp), "BCD35_HOME": str(tmp_path / "default-home")}
    check("--home", str(loaded_home.root), *files, cwd=cwd, env=env)
    check(*files, cwd=cwd, env=env)  # without --home: no home is opened, not even ./var
    assert _tree(loaded_home.root) == before
    assert list(cwd.iterdir()) == [] and list(tmp.iterdir()) == []
    assert not (tmp_path / "default-home").exists()


def test_check_says_loaded_already_and_what_it_would_supersede(loaded_home: Home,
                                                               tmp_path: Path):
    same = loaded_home.inbox / "so_hn.csv"
    _, out = check("--home", str(loaded_home.root), str(same))
    [f] = out["files"]
    assert f["loaded_already"] is True and f["same_bytes"]["status"] == "loaded"
    assert f["supersedes"] == []
    fixed = tmp_path / "so_hn.csv"
    fixed.write_bytes(same.read_bytes().replace("Thông tin thời sự".encode(),
                                                "Tập huấn".encode(), 1))
    loaded_sha = f["sha256"]
    _, out = check("--home", str(loaded_home.root), str(fixed))  # same name, inbox top
    [f] = out["files"]
    assert f["loaded_already"] is False
    assert [k["sha256"] for k in f["supersedes"]] == [loaded_sha]
    _, out = check("--home", str(loaded_home.root), "--as", "inbox/2024/so_hn.csv", str(fixed))
    assert out["files"][0]["destination"] == "2024/so_hn.csv"
    assert out["files"][0]["supersedes"] == []  # another path: a new file beside the old
    _, out = check("--home", str(loaded_home.root), "--committee", "ham_yen", str(fixed))
    assert out["files"][0]["destination"] == "ham_yen/so_hn.csv"
    assert out["files"][0]["supersedes"] == []


def test_fixing_a_quarantined_file_in_place_is_reported(loaded_home: Home, tmp_path: Path):
    fixed = tmp_path / "sai.csv"
    shutil.copyfile(FIXTURES / "ingest" / "meeting_log_comma.csv", fixed)
    _, out = check("--home", str(loaded_home.root), str(fixed))
    [f] = out["files"]
    assert f["ok"] is True and f["supersedes"] == []
    assert [k["status"] for k in f["replaces"]] == ["quarantined"]


def test_text_output_is_vietnamese_with_english_and_as_refuses_escape(tmp_path: Path):
    proc = subprocess.run([BCD35, "check", str(FIXTURES / "ingest" / "meeting_log_bad_values.csv")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "KHÔNG ĐẠT / WOULD BE QUARANTINED" in proc.stdout
    assert "Lỗi: 'Hội thảo' không có trong danh mục Loại hội nghị" in proc.stdout
    assert "Problem: 'Hội thảo' is not a known Loại hội nghị value" in proc.stdout
    bad = subprocess.run([BCD35, "check", "--as", "../etc/x.csv",
                          str(FIXTURES / "ingest" / "meeting_log_comma.csv")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "REFUSED" in bad.stderr
