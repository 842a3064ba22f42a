"""bcd35.report.audit_pack: validation results, source hashes, provenance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from bcd35.config import EXPECTATIONS_DIR, Home
from bcd35.report.audit_pack import (
    checks_with_status,
    sha256sums,
    write_audit_pack,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "report" / "report_data_2024.json"
BUILD_ID = "20240101T000000Z_test"

FAILURE = {"suite": "bulletin_reconciliation", "check": "bulletin_reconciliation",
           "blocking": True, "message_vi": "Số cấp phát khác số in",
           "message_en": "Copies handed out differ from copies printed",
           "rows": ["Bản tin số 1/2024: in 800, cấp 790 / issue 1/2024: printed 800, "
                    "handed out 790"]}


def fixture_manifest() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["manifest"]


@pytest.fixture
def home(tmp_path) -> tuple[Home, Path, dict]:
    """A home with three originals kept by hash and a build manifest naming them."""
    home = Home(tmp_path / "home")
    sources = []
    for name, kind, body in (("demo/so_theo_doi_hoi_nghi.csv", "meeting_log", b"Ngay,Ten\n"),
                             ("demo/khen_thuong.csv", "commendation", b"Nam,Hinh thuc\n"),
                             ("=cmd|' /C calc'!A0.csv", "collaborator_shares", b"Ngay,CTV\n")):
        sha = hashlib.sha256(body).hexdigest()
        original = home.originals / sha[:2] / sha
        original.parent.mkdir(parents=True, exist_ok=True)
        original.write_bytes(body)
        sources.append({"file": name, "kind": kind, "rows": 1, "sha256": sha})
    manifest = {**fixture_manifest(), "build_id": BUILD_ID, "sources": sources}
    build = home.builds / f"{BUILD_ID}.duckdb"
    build.parent.mkdir(parents=True)
    return home, build, manifest


def pack(tmp_path: Path, home: Home, build: Path, manifest: dict) -> Path:
    out = tmp_path / "audit"
    write_audit_pack(out, home, build, 2024, "Ban Chỉ đạo 35 huyện Hàm Yên", manifest,
                     manifest["sources"])
    return out


def test_pack_has_every_file(tmp_path, home):
    out = pack(tmp_path, *home)
    assert sorted(p.name for p in out.iterdir()) == [
        "SHA256SUMS", "corrections.json", "kiem_tra.txt", "manifest.json", "sources.json",
        "validation.json"]
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == home[2]


def test_sha256sums_match_the_originals(tmp_path, home):
    h, build, manifest = home
    out = pack(tmp_path, h, build, manifest)
    lines = (out / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(manifest["sources"])
    for line in lines:
        sha, name = line.split("  ", 1)
        original = h.originals / sha[:2] / sha
        assert hashlib.sha256(original.read_bytes()).hexdigest() == sha
        assert name in {s["file"] for s in manifest["sources"]}
    sources = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    assert {s["original_check"] for s in sources} == {"ok"}
    assert {s["kind"] for s in sources} == {"meeting_log", "commendation", "collaborator_shares"}
    assert all(s["original"] == f"originals/{s['sha256'][:2]}/{s['sha256']}" for s in sources)


def test_changed_or_missing_originals_are_flagged(tmp_path, home):
    h, build, manifest = home
    first, second = manifest["sources"][:2]
    (h.originals / first["sha256"][:2] / first["sha256"]).write_bytes(b"changed")
    (h.originals / second["sha256"][:2] / second["sha256"]).unlink()
    out = pack(tmp_path, h, build, manifest)
    checks = {s["file"]: s["original_check"]
              for s in json.loads((out / "sources.json").read_text(encoding="utf-8"))}
    assert checks[first["file"]] == "mismatch" and checks[second["file"]] == "missing"
    text = (out / "kiem_tra.txt").read_text(encoding="utf-8")
    assert "ORIGINAL HASH MISMATCH" in text and "ORIGINAL MISSING" in text


def test_sha256sums_escapes_names_like_gnu_sha256sum():
    text = sha256sums([{"file": "a\nb\\c.csv", "sha256": "f" * 64},
                       {"file": "plain.csv", "sha256": "e" * 64}])
    assert text == f"\\{'f' * 64}  a\\nb\\\\c.csv\n{'e' * 64}  plain.csv\n"


def test_validation_lists_every_committed_check_with_its_status(tmp_path, home):
    h, build, manifest = home
    out = pack(tmp_path, h, build, manifest)
    doc = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert doc["run_id"] == manifest["run_id"] and doc["build_id"] == BUILD_ID
    assert doc["code_version"] == manifest["code_version"] and doc["success"] is True
    assert doc["checks_source"] == "committed_suites"
    suites = {json.loads(p.read_text(encoding="utf-8"))["name"]
              for p in EXPECTATIONS_DIR.glob("*.json")}
    assert {c["suite"] for c in doc["checks"]} == suites
    assert sum(c["n_expectations"] for c in doc["checks"]) >= len(suites)
    status = {c["check"]: c["status"] for c in doc["checks"]}
    warned = {w["check"] for w in manifest["validation"]["warnings"]}
    assert warned and all(status[w] == "warning" for w in warned)
    assert {s for c, s in status.items() if c not in warned} == {"passed"}
    text = (out / "kiem_tra.txt").read_text(encoding="utf-8")
    for c in doc["checks"]:
        assert f"{c['suite']}.{c['check']}" in text
    assert "ĐẠT / PASSED" in text and manifest["run_id"] in text and BUILD_ID in text
    for w in manifest["validation"]["warnings"]:
        assert w["rows"][0] in text  # every warning row is readable in the summary


def test_failures_and_recorded_checks_get_their_status():
    validation = {"success": False, "failures": [FAILURE], "warnings": []}
    checks, source = checks_with_status(validation)
    assert source == "committed_suites"
    status = {(c["suite"], c["check"]): c["status"] for c in checks}
    assert status[("bulletin_reconciliation", "bulletin_reconciliation")] == "failed"
    recorded = {"checks": [
        {"suite": "s", "check": "a", "blocking": True, "success": True},
        {"suite": "s", "check": "b", "blocking": True, "success": False},
        {"suite": "s", "check": "c", "blocking": False, "success": False},
    ], "warnings": [{"suite": "s", "check": "c"}], "failures": [{"suite": "s", "check": "b"}]}
    checks, source = checks_with_status(recorded)
    assert source == "manifest"
    assert [c["status"] for c in checks] == ["passed", "failed", "warning"]


def test_data_docs_are_linked_when_present(tmp_path, home):
    h, build, manifest = home
    index = build.with_suffix(".datadocs") / "index.html"
    index.parent.mkdir()
    index.write_text("<html></html>", encoding="utf-8")
    out = pack(tmp_path, h, build, manifest)
    doc = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert doc["data_docs"] == f"warehouse/builds/{BUILD_ID}.datadocs/index.html"
    assert doc["data_docs"] in (out / "kiem_tra.txt").read_text(encoding="utf-8")


def test_pack_lists_the_files_taken_back_before_the_build(tmp_path, home):
    home_, build, manifest = home
    manifest["corrections"] = [
        {"sha256": "a" * 64, "file": "demo/cap_phat_ban_sao.csv", "kind": "bulletin_distribution",
         "rows": 336, "state": "withdrawn", "at": "2025-01-03T01:30:00", "run_id": "r2",
         "superseded_by": None, "superseded_by_file": None},
        {"sha256": "b" * 64, "file": "demo/hoi_nghi.csv", "kind": "meeting_log", "rows": 8,
         "state": "superseded", "at": "2025-01-04T01:30:00", "run_id": "r3",
         "superseded_by": "c" * 64, "superseded_by_file": "demo/hoi_nghi.csv"}]
    out = pack(tmp_path, home_, build, manifest)
    assert json.loads((out / "corrections.json").read_text(encoding="utf-8")) \
        == manifest["corrections"]
    text = (out / "kiem_tra.txt").read_text(encoding="utf-8")
    assert "SUPERSEDED OR WITHDRAWN FILES" in text
    assert "demo/cap_phat_ban_sao.csv" in text and "rút / withdrawn" in text
    assert "thay thế / superseded → demo/hoi_nghi.csv" in text and "run r3" in text
