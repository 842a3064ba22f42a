"""A plain-text KPI table for the terminal."""

from __future__ import annotations

import json

from bcd35.vietnamese import format_vn_number


def render_kpi_table(report) -> str:
    doc = json.loads((report.directory / f"kpi_{report.year}.json").read_text(encoding="utf-8"))
    rows = [("Mã chỉ tiêu / KPI", "Chỉ tiêu", "Kết quả", "Đơn vị")]
    for k in doc["kpis"]:
        value = "—" if k["value"] is None else format_vn_number(k["value"])
        rows.append((k["code"], k["name_vi"], value, k["unit_vi"]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"Năm {doc['year']} — validation: "
             f"{'ĐẠT / passed' if doc['validation']['success'] else 'KHÔNG ĐẠT / failed'}"]
    for i, r in enumerate(rows):
        lines.append("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]),
                                r[2].rjust(widths[2]), r[3]]))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
