"""The audit pack ``exports/Y/audit/``: where each figure came from, and that it was checked.

- ``manifest.json``: the build manifest as published (run id, build id, code version, build
  time, validation result, source files).
- ``validation.json``: every check with its status (passed / failed / warning), the failures
  and warnings with their rows, the expectation count, the link to Great Expectations Data Docs.
- ``kiem_tra.txt``: the same for people, in Vietnamese and English, with the source files and
  how to verify them.
- ``SHA256SUMS``: ``sha256sum -c`` format, one line per source file (name relative to the inbox).
- ``sources.json``: each source file's name, kind, rows, sha256, where its original is kept in
  the home and whether that original still has the same hash.
- ``corrections.json``: the files taken back before the build — superseded by a new version at
  their path (which) or withdrawn from the inbox — when, and by which run.

The list of checks: the manifest's ``validation.checks`` when the audit recorded one
(``[{suite, check, blocking, success, title_vi, title_en}]``); otherwise the checks of the
committed suites (``expectations/*.json``), each marked with the status the manifest's failures
and warnings give it. ``checks_source`` in ``validation.json`` says which.
"""

from __future__ import annotations

import json
from pathlib import Path

from bcd35.config import EXPECTATIONS_DIR, Home
from bcd35.hashing import sha256_of
from bcd35.warehouse import data_docs_dir

STATUS_TEXT = {
    "passed": "ĐẠT / passed",
    "failed": "KHÔNG ĐẠT / failed",
    "warning": "CẢNH BÁO / warning",
}


def original_path(home: Home, sha256: str) -> Path:
    """Where ingestion keeps every file it saw (``originals/<sha[:2]>/<sha256>``)."""
    return home.originals / sha256[:2] / sha256




# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _suite_checks(directory: Path) -> list[dict]:
    """One entry per distinct (suite, check) of the committed suites, in suite order."""
    checks: dict[tuple[str, str], dict] = {}
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        blocking = bool(doc.get("meta", {}).get("blocking", True))
        for exp in doc.get("expectations", []):
            meta = exp.get("meta") or {}
            key = (doc["name"], meta.get("check", exp.get("type", "?")))
            entry = checks.setdefault(key, {
                "suite": key[0], "check": key[1], "blocking": blocking,
                "title_vi": meta.get("title_vi", key[1]),
                "title_en": meta.get("title_en", key[1]), "n_expectations": 0,
            })
            entry["n_expectations"] += 1
    return list(checks.values())


def checks_with_status(validation: dict,
                       expectations_dir: Path = EXPECTATIONS_DIR) -> tuple[list[dict], str]:
    """Every check with ``status`` passed/failed/warning, and where the list came from."""
    failed = {(f.get("suite"), f.get("check")) for f in validation.get("failures", [])}
    warned = {(w.get("suite"), w.get("check")) for w in validation.get("warnings", [])}

    def status(suite: str, check: str, success: bool | None = None) -> str:
        if (suite, check) in failed:
            return "failed"
        if (suite, check) in warned:
            return "warning"
        return "failed" if success is False else "passed"

    if validation.get("checks"):
        checks = [dict(c) for c in validation["checks"]]
        for c in checks:
            c["status"] = status(c.get("suite"), c.get("check"), c.get("success"))
        return checks, "manifest"
    checks = _suite_checks(expectations_dir) if expectations_dir.is_dir() else []
    known = {(c["suite"], c["check"]) for c in checks}
    for items, blocking in ((validation.get("failures", []), True),
                            (validation.get("warnings", []), False)):
        for item in items:  # a failure of a check no longer in the suites: still listed
            key = (item.get("suite"), item.get("check"))
            if key not in known:
                known.add(key)
                checks.append({"suite": key[0], "check": key[1], "blocking": blocking,
                               "title_vi": item.get("message_vi", key[1]),
                               "title_en": item.get("message_en", key[1]),
                               "n_expectations": None})
    for c in checks:
        c["status"] = status(c["suite"], c["check"])
    return checks, "committed_suites"


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def sources_with_originals(home: Home, sources: list[dict]) -> list[dict]:
    """Each source file with where its original is kept and whether its bytes still hash to
    its sha256."""
    out = []
    for src in sorted(sources, key=lambda s: (s["file"], s["sha256"])):
        original = original_path(home, src["sha256"])
        if not original.is_file():
            verified = "missing"
        else:
            verified = "ok" if sha256_of(original) == src["sha256"] else "mismatch"
        out.append({"file": src["file"], "kind": src.get("kind"), "rows": src.get("rows"),
                    "sha256": src["sha256"],
                    "original": original.relative_to(home.root).as_posix(),
                    "original_check": verified})
    return out


def sha256sums(sources: list[dict]) -> str:
    """GNU ``sha256sum`` format; a name with a backslash or line break is escaped as it does."""
    lines = []
    for src in sources:
        name = src["file"]
        if "\\" in name or "\n" in name or "\r" in name:
            name = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            lines.append(f"\\{src['sha256']}  {name}")
        else:
            lines.append(f"{src['sha256']}  {name}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------------------------
# The pack
# --------------------------------------------------------------------------------------------


def _data_docs(home: Home, build: Path, manifest: dict) -> str | None:
    index = data_docs_dir(build) / "index.html"
    if index.is_file():
        try:
            return index.relative_to(home.root).as_posix()
        except ValueError:
            return str(index)
    return manifest.get("data_docs")


def validation_document(home: Home, build: Path, manifest: dict,
                        expectations_dir: Path = EXPECTATIONS_DIR) -> dict:
    validation = manifest.get("validation", {})
    checks, source = checks_with_status(validation, expectations_dir)
    return {
        "run_id": manifest.get("run_id"),
        "build_id": manifest.get("build_id"),
        "code_version": manifest.get("code_version"),
        "built_at": manifest.get("built_at"),
        "success": bool(validation.get("success")),
        "n_expectations": validation.get("n_expectations"),
        "failed_checks": validation.get("failed_checks", []),
        "checks_source": source,
        "checks": checks,
        "failures": validation.get("failures", []),
        "warnings": validation.get("warnings", []),
        "data_docs": _data_docs(home, build, manifest),
    }


def summary_text(year: int, committee_name: str, doc: dict, sources: list[dict],
                 corrections: list[dict] | None = None) -> str:
    ok = doc["success"]
    n_failed = sum(c["status"] == "failed" for c in doc["checks"])
    n_warned = sum(c["status"] == "warning" for c in doc["checks"])
    lines = [
        f"HỒ SƠ KIỂM TRA SỐ LIỆU — BÁO CÁO NĂM {year} / AUDIT PACK — {year} REPORT",
        committee_name,
        "",
        "NGUỒN GỐC / PROVENANCE",
        f"  Lần chạy / run id:              {doc['run_id']}",
        f"  Bản dữ liệu / build id:         {doc['build_id']}",
        f"  Thời điểm lập / built at (UTC): {doc['built_at']}",
        f"  Phiên bản mã / code version:    {doc['code_version']}",
    ]
    if doc.get("data_docs"):
        lines.append(f"  Data Docs (Great Expectations): {doc['data_docs']} (trong thư mục home /"
                     " in the home; xóa cùng bản dữ liệu khi bản này quá cũ / removed with the "
                     "build when it is pruned)")
    lines += [
        "",
        f"KẾT QUẢ KIỂM TRA / VALIDATION: {'ĐẠT / PASSED' if ok else 'KHÔNG ĐẠT / FAILED'} — "
        f"{doc['n_expectations']} điều kiện / expectations; {n_failed} kiểm tra không đạt / "
        f"failed; {n_warned} cảnh báo / warnings",
    ]
    if doc["checks_source"] != "manifest":
        lines.append("  (Danh sách kiểm tra lấy từ bộ kiểm tra đã lưu trong mã nguồn, trạng thái "
                     "theo kết quả của bản dữ liệu. / Check list from the committed suites, "
                     "status from the build's result.)")
    lines += ["", "CÁC KIỂM TRA / CHECKS"]
    width = max(len(t) for t in STATUS_TEXT.values())
    for c in doc["checks"]:
        kind = "chặn công bố / blocking" if c.get("blocking") else "không chặn / not blocking"
        lines.append(f"  [{STATUS_TEXT[c['status']].ljust(width)}] {c['suite']}.{c['check']} "
                     f"({kind})")
        lines.append(f"      {c.get('title_vi')} / {c.get('title_en')}")
    for heading, items in (("KHÔNG ĐẠT / FAILURES", doc["failures"]),
                           ("CẢNH BÁO / WARNINGS", doc["warnings"])):
        if not items:
            continue
        lines += ["", heading]
        for item in items:
            lines.append(f"  {item.get('suite')}.{item.get('check')}: {item.get('message_vi')} "
                         f"/ {item.get('message_en')}")
            lines += [f"    - {row}" for row in item.get("rows", [])]
    lines += ["", "TỆP NGUỒN / SOURCE FILES (sha256 — loại / kind — số dòng / rows — tệp / file)"]
    check_text = {"ok": "bản gốc khớp / original verified",
                  "missing": "KHÔNG THẤY BẢN GỐC / ORIGINAL MISSING",
                  "mismatch": "BẢN GỐC KHÁC MÃ / ORIGINAL HASH MISMATCH"}
    for src in sources:
        lines.append(f"  {src['sha256']}  {src['kind']}  {src['rows']}  {src['file']}")
        lines.append(f"      {src['original']} — {check_text[src['original_check']]}")
    state_text = {"superseded": "thay thế / superseded", "withdrawn": "rút / withdrawn"}
    corrections = corrections or []
    if corrections:
        lines += ["", "TỆP ĐÃ THAY THẾ HOẶC RÚT / SUPERSEDED OR WITHDRAWN FILES "
                      "(không còn trong số liệu / no longer in the figures)"]
    for c in corrections:
        by = f" → {c['superseded_by_file'] or c['superseded_by']}" if c.get("superseded_by") \
            else ""
        lines.append(f"  {c['sha256']}  {c['kind']}  {c['rows']}  {c['file']}")
        lines.append(f"      {state_text.get(c['state'], c['state'])}{by} — {c['at']} UTC — "
                     f"run {c['run_id']}")
    lines += [
        "",
        "CÁCH KIỂM TRA / HOW TO CHECK",
        "  Bản gốc của mỗi tệp được giữ trong thư mục home tại originals/<2 ký tự đầu>/<sha256>;",
        "  mã sha256 của tệp đó phải đúng bằng mã ở trên (lệnh: sha256sum <tệp>). Với các tệp",
        "  còn trong inbox: cd <home>/inbox && sha256sum -c <đường dẫn>/audit/SHA256SUMS",
        "  Every original is kept in the home at originals/<first 2 characters>/<sha256>; its",
        "  sha256 must equal the one above (sha256sum <file>). For files still in the inbox:",
        "  cd <home>/inbox && sha256sum -c <path>/audit/SHA256SUMS",
        "",
    ]
    return "\n".join(lines)


def write_audit_pack(directory: Path, home: Home, build: Path, year: int, committee_name: str,
                     manifest: dict, sources: list[dict],
                     expectations_dir: Path = EXPECTATIONS_DIR) -> list[Path]:
    """The audit pack of a report: ``sources`` are the files behind its committee-year."""
    directory.mkdir(parents=True, exist_ok=True)
    doc = validation_document(home, build, manifest, expectations_dir)
    sources = sources_with_originals(home, sources)

    def dump(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    files = {
        "manifest.json": dump(manifest),
        "validation.json": dump(doc),
        "kiem_tra.txt": summary_text(year, committee_name, doc, sources,
                                     manifest.get("corrections", [])),
        "SHA256SUMS": sha256sums(sources),
        "sources.json": dump(sources),
        "corrections.json": dump(manifest.get("corrections", [])),
    }
    paths = []
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths
