"""Quarantine reports: ``HOME/quarantine/<sha256>.json`` (for machines) and ``.txt`` (for people).

A quarantined file is loaded not at all. The text report is in Vietnamese with the English beside
it and names, for every problem, the line, the column, the value, what is wrong and how to fix it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bcd35.config import Home
from bcd35.ingest.errors import CellError
from bcd35.ingest.kinds import KINDS


@dataclass(frozen=True)
class QuarantineReport:
    file: str  # path relative to the inbox, as dropped
    sha256: str
    kind_guess: str | None
    errors: Sequence[CellError]
    quarantined_at: datetime  # UTC, naive

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "sha256": self.sha256,
            "kind_guess": self.kind_guess,
            "quarantined_at": self.quarantined_at.isoformat(timespec="seconds"),
            "error_count": len(self.errors),
            "errors": [error.to_json() for error in self.errors],
        }


def report_paths(home: Home, sha256: str) -> tuple[Path, Path]:
    return home.quarantine / f"{sha256}.json", home.quarantine / f"{sha256}.txt"


def _where(error: CellError) -> str:
    parts = []
    if error.sheet is not None:
        parts.append(f"Trang tính / Sheet «{error.sheet}»")
    if error.line is not None:
        parts.append(f"dòng / line {error.line}")
    if error.column is not None:
        parts.append(f"cột / column «{error.column}»")
    if error.value is not None:
        parts.append(f"giá trị / value «{error.value}»")
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
        f"Thời điểm (UTC) / Time (UTC): {report.quarantined_at.isoformat(timespec='seconds')}",
        "",
        "Không dòng nào của tệp này được nạp. Hãy sửa các lỗi dưới đây trong tệp gốc rồi đặt "
        "tệp đã sửa vào thư mục inbox; tệp cũ có thể để nguyên.",
        "Nothing from this file was loaded. Fix the problems below in the original and drop the "
        "corrected file into the inbox; the old one may stay where it is.",
        "",
    ]
    for number, error in enumerate(report.errors, start=1):
        lines += [f"{number}. {_where(error)}",
                  f"   Lỗi: {error.reason_vi}",
                  f"   Problem: {error.reason_en}",
                  ""]
    return "\n".join(lines)


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_report(home: Home, report: QuarantineReport) -> Path:
    """Write both reports; returns the path of the text one (the one people open)."""
    home.quarantine.mkdir(parents=True, exist_ok=True)
    json_path, text_path = report_paths(home, report.sha256)
    payload = json.dumps(report.to_json(), ensure_ascii=False, indent=2, sort_keys=True)
    _write_text(json_path, payload + "\n")
    _write_text(text_path, render_text(report))
    return text_path
