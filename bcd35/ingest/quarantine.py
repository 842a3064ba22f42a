"""Quarantine reports: ``HOME/quarantine/<sha256>.json`` (for machines), ``.txt`` and ``.html``.

A quarantined file is loaded not at all. The text and HTML reports are in Vietnamese with the
English beside it and name, for every problem, the line, the column, the value, what is wrong and
how to fix it. The HTML page is self-contained (no scripts, no links out, a Content-Security-
Policy that forbids both) and every value from the file is escaped: a hostile cell shows as text.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bcd35.config import Home
from bcd35.ingest.errors import CellError
from bcd35.ingest.kinds import KINDS
from bcd35.ingest.names import display_name

MAX_SHOWN_CHARS = 4000  # a value longer than this is shown by its start and end


@dataclass(frozen=True)
class QuarantineReport:
    file: str  # path relative to the inbox, as dropped
    sha256: str
    kind_guess: str | None
    errors: Sequence[CellError]
    quarantined_at: datetime  # UTC, naive
    data_rows: int | None = None  # None when the file could not be read as any kind
    rejected_rows: int | None = None

    @property
    def accepted_rows(self) -> int | None:
        if self.data_rows is None or self.rejected_rows is None:
            return None
        return self.data_rows - self.rejected_rows

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "kind_guess": self.kind_guess,
            "quarantined_at": self.quarantined_at.isoformat(timespec="seconds"),
            "error_count": len(self.errors),
            "rows": {"data": self.data_rows, "accepted": self.accepted_rows,
                     "rejected": self.rejected_rows},
            "errors": [error.to_json() for error in self.errors],
        }


def report_paths(home: Home, sha256: str) -> tuple[Path, Path]:
    return home.quarantine / f"{sha256}.json", home.quarantine / f"{sha256}.txt"


def html_path(home: Home, sha256: str) -> Path:
    return home.quarantine / f"{sha256}.html"


def remove_reports(home: Home, sha256: str) -> None:
    """Delete the reports of a file that has since loaded (they would mislead)."""
    for path in (*report_paths(home, sha256), html_path(home, sha256)):
        path.unlink(missing_ok=True)


def shown(text: object) -> str:
    """A value from a file as it may reach a terminal or a text report: control characters
    (ESC, BEL, CSI, …) escaped the way file names are (:func:`display_name`), never raw."""
    return display_name(str(text), MAX_SHOWN_CHARS)


def _where(error: CellError) -> str:
    parts = []
    if error.sheet is not None:
        parts.append(f"Trang tính / Sheet «{shown(error.sheet)}»")
    if error.line is not None:
        parts.append(f"dòng / line {error.line}")
    if error.column is not None:
        parts.append(f"cột / column «{shown(error.column)}»")
    if error.value is not None:
        parts.append(f"giá trị / value «{shown(error.value)}»")
    return ", ".join(parts) if parts else "Toàn tệp / Whole file"


def render_text(report: QuarantineReport) -> str:
    kind = KINDS.get(report.kind_guess or "")
    guess = f"{kind.name} — {kind.label_vi}" if kind else "không rõ / unknown"
    lines = [
        "TỆP BỊ CÁCH LY — FILE QUARANTINED",
        f"Tệp / File: {report.file}",
        f"SHA-256: {report.sha256}",
        f"Loại tệp (dự đoán) / Kind (guess): {guess}",
        f"Số lỗi / Errors: {len(report.errors)}",
        *_rows_line(report),
        f"Thời điểm (UTC) / Time (UTC): {report.quarantined_at.isoformat(timespec='seconds')}",
        f"Bản dễ đọc / Readable page: {report.sha256}.html",
        "",
        "Không dòng nào của tệp này được nạp. Hãy sửa các lỗi dưới đây trong tệp gốc rồi đặt "
        "tệp đã sửa vào thư mục inbox; tệp cũ có thể để nguyên.",
        "Nothing from this file was loaded. Fix the problems below in the original and drop the "
        "corrected file into the inbox; the old one may stay where it is.",
        "",
    ]
    for number, error in enumerate(report.errors, start=1):
        lines += [f"{number}. {_where(error)}",
                  f"   Lỗi: {shown(error.reason_vi)}",
                  f"   Problem: {shown(error.reason_en)}",
                  ""]
    return "\n".join(lines)


def _rows_line(report: QuarantineReport) -> list[str]:
    if report.data_rows is None:
        return []
    return [f"Dòng dữ liệu / Data rows: {report.data_rows} = {report.accepted_rows} hợp lệ / "
            f"valid + {report.rejected_rows} có lỗi / with errors"]


_CSS = """
body { font-family: system-ui, "Segoe UI", Arial, sans-serif; margin: 2rem; color: #1a1a1a; }
h1 { font-size: 1.4rem; color: #a40000; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; font-family: monospace; }
table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
th, td { border: 1px solid #bbb; padding: .35rem .5rem; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } td.value { font-family: monospace; white-space: pre-wrap; }
td.en { color: #444; }
p.note { background: #fff6d6; padding: .6rem; border-left: 4px solid #e0a800; }
"""


def _cell(value: object, css: str = "") -> str:
    text = "" if value is None else html.escape(str(value), quote=True)
    attr = f' class="{css}"' if css else ""
    return f"<td{attr}>{text}</td>"


def render_html(report: QuarantineReport) -> str:
    """A self-contained page for the clerk: one table row per problem, Vietnamese and English."""
    kind = KINDS.get(report.kind_guess or "")
    guess = f"{kind.name} — {kind.label_vi}" if kind else "không rõ / unknown"
    rows_text = _rows_line(report)
    facts = [("Tệp / File", report.file), ("SHA-256", report.sha256),
             ("Loại tệp (dự đoán) / Kind (guess)", guess),
             ("Số lỗi / Errors", str(len(report.errors))),
             ("Thời điểm (UTC) / Time (UTC)", report.quarantined_at.isoformat(timespec="seconds"))]
    if rows_text:
        facts.append(("Dòng dữ liệu / Data rows", rows_text[0].split(": ", 1)[1]))
    body = [
        f"<h1>Tệp bị cách ly — File quarantined: {html.escape(report.file)}</h1>",
        "<dl>", *(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts),
        "</dl>",
        '<p class="note">Không dòng nào của tệp này được nạp. Hãy sửa các lỗi dưới đây trong '
        "tệp gốc rồi đặt tệp đã sửa vào thư mục inbox.<br>Nothing from this file was loaded. "
        "Fix the problems below in the original and drop the corrected file into the inbox.</p>",
        "<table><thead><tr><th>#</th><th>Trang tính<br>Sheet</th><th>Dòng<br>Line</th>"
        "<th>Cột<br>Column</th><th>Giá trị<br>Value</th><th>Lỗi và cách sửa</th>"
        "<th>Problem and fix</th></tr></thead><tbody>",
    ]
    for number, error in enumerate(report.errors, start=1):
        body.append("<tr>" + "".join((
            _cell(number), _cell(error.sheet), _cell(error.line), _cell(error.column),
            _cell(error.value, "value"), _cell(error.reason_vi), _cell(error.reason_en, "en"),
        )) + "</tr>")
    body.append("</tbody></table>")
    title = html.escape(f"Tệp bị cách ly / File quarantined: {report.file}")
    return (
        "<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        f"<title>{title}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body) + "\n</body></html>\n")


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_report(home: Home, report: QuarantineReport) -> Path:
    """Write the three reports; returns the path of the text one (``.html`` sits beside it)."""
    home.quarantine.mkdir(parents=True, exist_ok=True)
    json_path, text_path = report_paths(home, report.sha256)
    payload = json.dumps(report.to_json(), ensure_ascii=False, indent=2, sort_keys=True)
    _write_text(json_path, payload + "\n")
    _write_text(text_path, render_text(report))
    _write_text(html_path(home, report.sha256), render_html(report))
    return text_path
