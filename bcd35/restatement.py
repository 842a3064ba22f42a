"""What changed between two releases of a year (or since the latest one): the restatement.

Each KPI whose value changed (old, new, difference) and each source file added, superseded or
withdrawn between the two, with its path, sha256 and rows. A later release of a year carries
it as ``dinh_chinh_rN.json`` and ``dinh_chinh_rN.csv`` and as a section of its Word file and
page (the report's writers lay it out: ``bcd35/report/document.py``, ``html.py``);
``bcd35 diff`` prints it for any two releases or for the latest against the figures published
now.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bcd35.ingest.registry import connect, get_file
from bcd35.report.safe import safe_text
from bcd35.vietnamese import format_vn_number

CHANGE_VI = {"added": "thêm", "superseded": "thay thế", "withdrawn": "rút"}


def _retracted(home, sha256: str) -> str:
    """superseded | withdrawn: what became of a source file no longer behind the figures."""
    if home is None:
        return "withdrawn"
    conn = connect(home)
    try:
        found = get_file(conn, sha256)
    finally:
        conn.close()
    if found is not None and (found.retracted == "superseded" or found.superseded_by):
        return "superseded"
    return "withdrawn"


def restatement_between(previous: dict, kpis: dict, sources: list[dict], current: str,
                        names: dict[str, str] | None = None, home=None) -> dict:
    """``previous`` is a RELEASE.json; ``kpis`` (code → value) and ``sources`` are the newer
    figures, called ``current`` (``rN`` or ``hiện tại / current``)."""
    names = names or {}
    changed = []
    for code in [*previous["kpis"], *(c for c in kpis if c not in previous["kpis"])]:
        old, new = previous["kpis"].get(code), kpis.get(code)
        if old == new:
            continue
        difference = None if old is None or new is None else round(new - old, 2)
        if isinstance(difference, float) and difference.is_integer():
            difference = int(difference)
        changed.append({"code": code, "name_vi": names.get(code, code), "old": old, "new": new,
                        "difference": difference})
    before = {s["sha256"]: s for s in previous["sources"]}
    after = {s["sha256"]: s for s in sources}
    files = []
    for sha, s in after.items():
        if sha not in before:
            files.append({"change": "added", "change_vi": CHANGE_VI["added"], "file": s["file"],
                          "kind": s["kind"], "sha256": sha, "rows": s["rows"]})
    for sha, s in before.items():
        if sha not in after:
            how = _retracted(home, sha)
            files.append({"change": how, "change_vi": CHANGE_VI[how], "file": s["file"],
                          "kind": s["kind"], "sha256": sha, "rows": s["rows"]})
    return {"year": previous["year"], "committee": previous["committee"],
            "previous": previous["release"], "previous_status": previous["status"],
            "previous_released_at": previous["released_at"], "current": current,
            "kpis": changed, "files": files}


def _vn(value, signed: bool = False) -> str:
    if value is None:
        return "Chưa có số liệu"
    text = format_vn_number(value, 2)
    return f"+{text}" if signed and value > 0 else text


def render_text(restatement: dict) -> str:
    """What ``bcd35 diff`` prints, as the office reads it."""
    r = restatement
    lines = [f"Đính chính / restatement {r['committee']} {r['year']}: {r['previous']} "
             f"({r['previous_status']}, {r['previous_released_at']}) → {r['current']}"]
    lines.append(f"Chỉ tiêu thay đổi / KPIs changed: {len(r['kpis'])}")
    for k in r["kpis"]:
        diff = "-" if k["difference"] is None else _vn(k["difference"], signed=True)
        lines.append(f"  {k['code']}: {_vn(k['old'])} → {_vn(k['new'])} ({diff})")
    lines.append(f"Tệp nguồn thay đổi / source files changed: {len(r['files'])}")
    for f in r["files"]:
        lines.append(f"  {f['change_vi']} / {f['change']}: {f['file']} [{f['kind']}] "
                     f"{f['rows']} dòng / rows, sha256 {f['sha256']}")
    return "\n".join(lines)


def write_restatement(directory: Path, restatement: dict) -> list[Path]:
    name = f"dinh_chinh_{restatement['current']}"
    doc, table = directory / f"{name}.json", directory / f"{name}.csv"
    doc.write_text(json.dumps(restatement, ensure_ascii=False, indent=2) + "\n",
                   encoding="utf-8")
    with open(table, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["Loại / type", "Mã / code", "Tệp / file", "Cũ / old", "Mới / new",
                         "Chênh lệch / difference", "sha256", "Số dòng / rows"])
        for k in restatement["kpis"]:
            writer.writerow(["chỉ tiêu / kpi", safe_text(k["code"]), "", _vn(k["old"]),
                             _vn(k["new"]), "" if k["difference"] is None
                             else _vn(k["difference"], signed=True), "", ""])
        for f in restatement["files"]:
            writer.writerow([f"{f['change_vi']} / {f['change']}", safe_text(f["kind"]),
                             safe_text(f["file"]), "", "", "", f["sha256"], f["rows"]])
    return [doc, table]

