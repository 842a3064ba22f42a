"""The inbox is the truth: supersede, withdraw, move, reinstate and the withdrawal guard.

Each test runs the real ``ingest_inbox`` on real files in a temporary home and checks the raw
layer (what dbt reads), the registry's state and history, and that originals are kept.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bcd35.config import Home
from bcd35.ingest import ingest_inbox, list_files, registry
from bcd35.ingest.raw import raw_shas as raw_layer_shas

NOW = datetime(2025, 3, 1, 2, 30)
HEADER = "Ngày,Tên hội nghị,Loại hội nghị,Đơn vị tổ chức,Xã/Thị trấn,Số đại biểu\n"


def meetings(*attendees: int, month: int = 1) -> str:
    """A meeting log with one meeting per number of attendees (a bad value: ``-1``)."""
    return HEADER + "".join(
        f"{day:02d}/{month:02d}/2024,Hội nghị {day},Thông tin thời sự,Ban Tuyên giáo,Huyện,"
        f"{n}\n" for day, n in enumerate(attendees, start=1))


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return Home(tmp_path / "home")


def put(home: Home, rel: str, text: str) -> Path:
    path = home.inbox / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def night(home: Home, n: int, **kwargs):
    return ingest_inbox(home, "ham_yen", now=NOW + timedelta(days=n), run_id=f"run{n}",
                        **kwargs)


def raw_shas(home: Home) -> set[str]:
    """The sha256 of the files whose meeting_log rows are in the raw layer (each in one file)."""
    found = raw_layer_shas(home, "meeting_log")
    assert all(len(files) == 1 for files in found.values()), found
    return set(found)


def state(home: Home) -> dict[str, str]:
    return {f.sha256: f.state for f in list_files(home)}


def test_new_bytes_at_a_loaded_path_supersede_the_old_version(home: Home) -> None:
    old, new = meetings(10, 20), meetings(10, 25)
    put(home, "hn/so_hoi_nghi.csv", old)
    night(home, 1)
    put(home, "hn/so_hoi_nghi.csv", new)
    result = night(home, 2)
    assert [f.original_path for f in result.loaded] == ["hn/so_hoi_nghi.csv"]
    assert [f.sha256 for f in result.superseded] == [sha(old)]
    assert raw_shas(home) == {sha(new)}, "the old version's rows left the raw layer"
    assert state(home) == {sha(old): "superseded", sha(new): "loaded"}
    [before] = [f for f in list_files(home) if f.sha256 == sha(old)]
    assert before.superseded_by == sha(new) and before.retracted_run == "run2"
    assert before.stored_file(home).read_text(encoding="utf-8") == old, "original kept"
    assert [(e.event, e.run_id) for e in registry.events(home, sha(old))] == [
        ("loaded", "run1"), ("superseded", "run2")]


def test_a_bad_new_version_is_quarantined_and_the_old_one_stays_in_effect(home: Home) -> None:
    old = meetings(10, 20)
    put(home, "so_hoi_nghi.csv", old)
    night(home, 1)
    put(home, "so_hoi_nghi.csv", meetings(10, -1))
    result = night(home, 2)
    assert len(result.quarantined) == 1
    assert [f.sha256 for f in result.kept] == [sha(old)]
    assert result.superseded == [] and result.withdrawn == []
    assert raw_shas(home) == {sha(old)}
    assert state(home)[sha(old)] == "loaded"
    assert [(f.sha256, q.original_path) for f, q in registry.kept_over_quarantined(home)] \
        == [(sha(old), "so_hoi_nghi.csv")]


def test_a_loaded_file_gone_from_the_inbox_is_withdrawn(home: Home) -> None:
    keep = [put(home, f"f{i}.csv", meetings(10 + i, month=i + 1)) for i in range(10)]
    gone = put(home, "ban_sao_sai.csv", meetings(99, month=12))
    night(home, 1)
    gone.unlink()
    result = night(home, 2)
    assert [f.original_path for f in result.withdrawn] == ["ban_sao_sai.csv"]
    assert result.pending_withdrawals == []
    assert raw_shas(home) == {sha(p.read_text(encoding="utf-8")) for p in keep}
    assert state(home)[sha(meetings(99, month=12))] == "withdrawn"
    withdrawn = next(f for f in list_files(home) if f.state == "withdrawn")
    assert withdrawn.stored_file(home).exists(), "the original is kept for ever"


def test_the_same_bytes_moved_or_renamed_change_nothing(home: Home) -> None:
    text = meetings(10, 20)
    path = put(home, "a/so.csv", text)
    night(home, 1)
    target = home.inbox / "b" / "so_doi_ten.csv"
    target.parent.mkdir()
    os.rename(path, target)
    result = night(home, 2)
    assert result.loaded == [] and result.withdrawn == [] and result.superseded == []
    assert raw_shas(home) == {sha(text)} and state(home) == {sha(text): "loaded"}
    assert registry.sightings(home, sha(text)) == ["a/so.csv", "b/so_doi_ten.csv"]


def test_a_night_withdrawing_over_ten_percent_waits_for_confirmation(home: Home) -> None:
    paths = [put(home, f"f{i}.csv", meetings(10 + i, month=i + 1)) for i in range(10)]
    night(home, 1)
    for path in paths[:2]:  # 2 of 10 = 20 %
        path.unlink()
    held = night(home, 2)
    assert sorted(f.original_path for f in held.pending_withdrawals) == ["f0.csv", "f1.csv"]
    assert held.withdrawn == [] and len(raw_shas(home)) == 10, "nothing withdrawn"
    assert "--accept-withdrawals" in held.pending_withdrawals[0].reason
    confirmed = night(home, 3, accept_withdrawals=True)
    assert sorted(f.original_path for f in confirmed.withdrawn) == ["f0.csv", "f1.csv"]
    assert len(raw_shas(home)) == 8


def test_withdrawn_bytes_dropped_again_load_again_as_the_latest_delivery(home: Home) -> None:
    text = meetings(10, 20)
    for i in range(9):
        put(home, f"other{i}.csv", meetings(1 + i, month=i + 2))
    path = put(home, "so.csv", text)
    night(home, 1)
    first_seq = next(f.ingest_seq for f in list_files(home) if f.sha256 == sha(text))
    path.unlink()
    night(home, 2)
    assert sha(text) not in raw_shas(home)
    put(home, "tro_lai/so.csv", text)
    result = night(home, 3)
    assert [f.original_path for f in result.loaded] == ["tro_lai/so.csv"]
    assert sha(text) in raw_shas(home)
    back = next(f for f in list_files(home) if f.sha256 == sha(text))
    assert back.state == "loaded" and back.ingest_seq > first_seq
    assert [e.event for e in registry.events(home, sha(text))] == [
        "loaded", "withdrawn", "reinstated"]


def test_a_symlink_at_a_loaded_files_path_withdraws_nothing(home: Home) -> None:
    text = meetings(10, 20)
    path = put(home, "so.csv", text)
    night(home, 1)
    path.unlink()
    path.symlink_to("/etc/hostname")
    result = night(home, 2)
    assert result.withdrawn == [] and raw_shas(home) == {sha(text)}


def _released(home: Home, number: int, shas: list[str], *, provisional: bool) -> None:
    """A release's RELEASE.json naming the source files it was made from (the fields the
    guard reads; ``bcd35 release`` writes them with many more)."""
    import json

    folder = home.root / "releases" / "ham_yen" / "2024" / f"r{number}"
    folder.mkdir(parents=True)
    (folder / "RELEASE.json").write_text(json.dumps({
        "committee": "ham_yen", "year": 2024, "number": number, "provisional": provisional,
        "sources": [{"sha256": s} for s in shas]}), encoding="utf-8")


@pytest.mark.parametrize("provisional", [False, True])
def test_a_file_behind_a_final_release_is_withdrawn_only_when_confirmed(
        home: Home, provisional: bool) -> None:
    """1 of 11 files (under the 10 % guard): a provisional release lets it go; a final one
    holds it, and the night's other withdrawals with it, until the operator confirms."""
    paths = [put(home, f"f{i}.csv", meetings(10 + i, month=i + 1)) for i in range(11)]
    night(home, 1)
    filed = sha(paths[0].read_text(encoding="utf-8"))
    _released(home, 1, [filed], provisional=provisional)
    paths[0].unlink()
    result = night(home, 2)
    if provisional:
        assert [f.original_path for f in result.withdrawn] == ["f0.csv"]
        assert result.pending_withdrawals == []
        return
    assert [f.original_path for f in result.pending_withdrawals] == ["f0.csv"]
    assert "ham_yen 2024 r1" in result.pending_withdrawals[0].reason
    assert result.withdrawn == [] and len(raw_shas(home)) == 11, "nothing withdrawn"
    confirmed = night(home, 3, accept_withdrawals=True)
    assert [f.original_path for f in confirmed.withdrawn] == ["f0.csv"]
    assert filed not in raw_shas(home)
