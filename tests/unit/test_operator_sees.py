"""Nothing hidden from the operator, nothing hostile reaches the terminal, private modes, and
clerk messages for an oversized cell and for formulas saved without values."""

from __future__ import annotations

import os
import shutil
import stat
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest

from bcd35.config import Home, pseudonym_key
from bcd35.ingest import ingest_inbox, registry
from bcd35.ingest.pipeline import analyse
from bcd35.ingest.quarantine import report_paths
from bcd35.ingest.raw import raw_files
from bcd35.ingest.rows import ParseContext
from bcd35.status import render_status

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
ESCAPES = FIXTURES / "meeting_log_terminal_escapes.csv"
FORMULAS = FIXTURES / "meeting_log_formulas_without_saved_values.xlsx"
NOW = datetime(2024, 12, 1, 2, 0, 0)


def _controls(text: str) -> list[str]:
    """Control characters a terminal would act on (a line break is layout, not content)."""
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]


def test_the_fixture_carries_esc_bel_and_csi():
    data = ESCAPES.read_text(encoding="utf-8")
    assert "\x1b[2J" in data and "\x07" in data and "\x1b]0" in data


def test_terminal_escapes_in_cells_never_reach_status_or_the_text_report(tmp_path: Path):
    home = Home(tmp_path / "home")
    (home.inbox).mkdir(parents=True)
    shutil.copy(ESCAPES, home.inbox / ESCAPES.name)
    result = ingest_inbox(home, "ham_yen", now=NOW)
    [quarantined] = result.quarantined
    report = report_paths(home, quarantined.sha256)[1].read_text(encoding="utf-8")
    assert "\\x1b" in report  # the value is there, escaped, so the clerk can find it
    assert _controls(report) == []
    status = render_status(home)
    assert "\\x1b" in status
    assert _controls(status) == []


def test_symlinks_and_fifos_in_the_inbox_are_listed_by_status(tmp_path: Path):
    home = Home(tmp_path / "home")
    home.inbox.mkdir(parents=True)
    shutil.copy(ESCAPES, tmp_path / "elsewhere.csv")
    (home.inbox / "link_to_elsewhere.csv").symlink_to(tmp_path / "elsewhere.csv")
    os.mkfifo(home.inbox / "a_fifo.csv")
    ingest_inbox(home, "ham_yen", now=NOW)
    entries = {path: reason for path, reason, _ in registry.skipped_entries(home)}
    assert set(entries) == {"link_to_elsewhere.csv", "a_fifo.csv"}
    assert "symbolic link" in entries["link_to_elsewhere.csv"]
    assert "not a regular file" in entries["a_fifo.csv"]
    status = render_status(home)
    assert "link_to_elsewhere.csv" in status and "a_fifo.csv" in status
    (home.inbox / "a_fifo.csv").unlink()  # refreshed each run: gone from the inbox, gone here
    ingest_inbox(home, "ham_yen", now=NOW)
    assert [p for p, _, _ in registry.skipped_entries(home)] == ["link_to_elsewhere.csv"]


def test_a_fresh_home_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("BCD35_PSEUDONYM_KEY", raising=False)  # the key file is generated
    home = Home(tmp_path / "home")
    old = os.umask(0o022)  # the usual umask: the modes must not depend on it
    try:
        home.ensure()
        shutil.copy(FIXTURES / "meeting_log_comma.csv", home.inbox)
        result = ingest_inbox(home, "ham_yen", now=NOW)
        pseudonym_key(home)
    finally:
        os.umask(old)
    assert result.loaded

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(home.root) == 0o750
    for folder in (home.inbox, home.originals, home.raw, home.state, home.warehouse):
        assert mode(folder) == 0o750, folder
    for original in home.originals.rglob("*"):
        if original.is_file():
            assert mode(original) == 0o440, original
    raws = [p for p in home.raw.rglob("*.parquet")]
    assert raw_files(home, "meeting_log") and set(raw_files(home, "meeting_log")) <= set(raws)
    assert all(mode(p) == 0o640 for p in raws)
    assert mode(home.secrets_dir / "pseudonym.key") == 0o600


def _errors(path: Path) -> list:
    ctx = ParseContext(max_year=2025, file_name=path.name, local_tz="Asia/Ho_Chi_Minh")
    return list(analyse(path.read_bytes(), ctx).errors)


def test_an_oversized_cell_gets_its_own_message(tmp_path: Path):
    path = tmp_path / "meeting_log_oversized_cell.csv"
    head = ESCAPES.read_text(encoding="utf-8").splitlines()[0]
    body = "1;15/10/2024;Hội nghị;Thông tin thời sự;Đảng ủy;Xã Yên Thuận;Trực tiếp;Đ/c A;96;"
    path.write_text(f"{head}\n{body}\"{'x' * 20_000_000}\"\n", encoding="utf-8")
    [error] = _errors(path)
    assert error.line == 2
    assert "longer than 131,072 characters" in error.reason_en and "Excel" in error.reason_en
    assert "dài hơn 131.072 ký tự" in error.reason_vi
    assert "field limit" not in error.reason_en and "quote" not in error.reason_en


def test_formulas_saved_without_values_get_their_own_message():
    [error] = _errors(FORMULAS)
    assert "formula cells saved without their computed values" in error.reason_en
    assert "I2" in error.reason_en and "F9" in error.reason_en and "Save" in error.reason_en
    assert "công thức" in error.reason_vi
    assert "empty" not in error.reason_en.lower().split("sees empty cells")[0]
