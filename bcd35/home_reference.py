"""The office's own reference data in the home: targets (kế hoạch) and the committee's pages.

``HOME/reference/kpi_targets.csv`` (or ``.xlsx``): ``committee_code,year,kpi_code,target``.
A target the home gives wins over the repository's seed (``seeds/reference/kpi_targets.csv``)
for the same committee, year and KPI.

``HOME/reference/pages.csv``: ``page_id,page_name,is_committee_page,confirmed_by,
confirmed_date``. Posts from a page not on the list keep the "page not listed" warning every
night; a page listed with ``is_committee_page`` false keeps its posts out of the KPIs.

Both files are read every night and validated like any input: a bad row is refused with the
file, line, column, value and reason (Vietnamese, English beside) and left out; the other rows
are used and the night still publishes (the refused rows are warnings of the run, in
``audit.check_results`` and in ``bcd35 status``). A file that cannot be read at all (no header,
damaged workbook) is refused whole. The validated rows are written to ``HOME/dbt/`` for dbt
(sources ``home.kpi_targets`` and ``home.pages``); the originals are never modified.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bcd35.config import REFERENCE_DIR, Home, known_committees
from bcd35.ingest.reading import decode_text, is_blank_row, read_xlsx
from bcd35.vietnamese import VnParseError, is_blank, normalize_key, parse_vn_date, parse_vn_int

TARGET_COLUMNS = ("committee_code", "year", "kpi_code", "target")
PAGE_COLUMNS = ("page_id", "page_name", "is_committee_page", "confirmed_by", "confirmed_date")
PAGE_ID = re.compile(r"\d{5,25}")
_TRUE = {"true", "1", "yes", "có", "co", "x", "đúng", "dung", "phải", "phai"}
_FALSE = {"false", "0", "no", "không", "khong", "sai"}


@dataclass(frozen=True)
class Problem:
    """One refused row (or a refused file when ``line`` is 0)."""

    file: str
    line: int
    column: str
    value: str
    reason_vi: str
    reason_en: str

    def render(self) -> str:
        where = f"{self.file}, dòng/line {self.line}" if self.line else self.file
        if self.column:
            where += f", cột/column '{self.column}' = '{self.value}'"
        return f"{where}: {self.reason_vi} / {self.reason_en}"


@dataclass(frozen=True)
class HomeReference:
    targets: list[dict[str, object]]
    pages: list[dict[str, object]]
    problems: list[Problem]
    files: list[str]  # the files read, relative to the home

    def to_dict(self) -> dict:
        return {"n_targets": len(self.targets), "n_pages": len(self.pages),
                "files": self.files, "problems": [asdict(p) for p in self.problems]}


def reference_dir(home: Home) -> Path:
    return home.root / "reference"


def targets_file(home: Home) -> Path | None:
    """``kpi_targets.csv``, else ``kpi_targets.xlsx``, else ``None``."""
    for name in ("kpi_targets.csv", "kpi_targets.xlsx"):
        path = reference_dir(home) / name
        if path.is_file():
            return path
    return None


def pages_file(home: Home) -> Path | None:
    path = reference_dir(home) / "pages.csv"
    return path if path.is_file() else None


def input_files(home: Home) -> list[Path]:
    """The files the build reads from ``HOME/reference`` (for the build fingerprint)."""
    return [p for p in (targets_file(home), pages_file(home)) if p is not None]


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """Header (folded names) and the data rows with their line numbers."""
    if path.suffix.lower() == ".xlsx":
        sheets = read_xlsx(path.read_bytes())
        rows = [(n, list(cells)) for n, cells in sheets[0].rows] if sheets else []
        blank = is_blank_row
    else:
        text = decode_text(path.read_bytes())
        rows = [(n, list(cells)) for n, cells in
                enumerate(csv.reader(io.StringIO(text)), start=1)]
        blank = _blank
    rows = [(n, cells) for n, cells in rows if not blank(cells)]
    if not rows:
        return [], []
    header = [normalize_key(str(c or "")).replace(" ", "_") for c in rows[0][1]]
    return header, rows[1:]


def _blank(cells: list[object]) -> bool:
    return all(is_blank(c) for c in cells)


def _read(home: Home, path: Path, columns: tuple[str, ...],
          problems: list[Problem]) -> list[tuple[int, dict[str, object]]]:
    shown = path.relative_to(home.root).as_posix()
    try:
        header, rows = _rows(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is refused whole, with why
        reason = getattr(exc, "reason_vi", None) or str(exc)
        problems.append(Problem(shown, 0, "", "", f"Không đọc được tệp: {reason}",
                                f"The file cannot be read: {getattr(exc, 'reason_en', exc)}"))
        return []
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(Problem(
            shown, 1, ", ".join(missing), "",
            f"Thiếu cột {', '.join(missing)}; dòng đầu phải là: {','.join(columns)}. "
            "Cả tệp không được dùng.",
            f"Missing column(s) {', '.join(missing)}; the first line must be: "
            f"{','.join(columns)}. The whole file is left out."))
        return []
    out = []
    for number, cells in rows:
        values = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)}
        out.append((number, {c: values.get(c) for c in columns}))
    return out


def _kpi_codes() -> frozenset[str]:
    with (REFERENCE_DIR / "kpi_catalogue.csv").open(encoding="utf-8-sig", newline="") as fh:
        return frozenset(row["kpi_code"] for row in csv.DictReader(fh))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: object) -> float:
    """A target: a whole number as the office writes it (9.960) or a decimal (1,5)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise VnParseError("Không phải số.", "Not a number.")
        return float(value)
    text = _text(value)
    if re.fullmatch(r"\d+,\d+", text):
        return float(text.replace(",", "."))
    return float(parse_vn_int(text))


def read_targets(home: Home, problems: list[Problem]) -> list[dict[str, object]]:
    path = targets_file(home)
    if path is None:
        return []
    shown = path.relative_to(home.root).as_posix()
    committees = known_committees(home)
    kpis = _kpi_codes()
    seen: dict[tuple[str, int, str], int] = {}
    targets = []
    for line, row in _read(home, path, TARGET_COLUMNS, problems):
        code, kpi = _text(row["committee_code"]), _text(row["kpi_code"])

        def refuse(column: str, value: object, vi: str, en: str, line: int = line) -> None:
            problems.append(Problem(shown, line, column, _text(value), vi + " Dòng này không "
                                    "được dùng.", en + " The row is left out."))

        if code not in committees:
            refuse("committee_code", code, "Mã Ban Chỉ đạo không có trong danh mục "
                   f"({', '.join(sorted(committees))}).",
                   f"Unknown committee code (known: {', '.join(sorted(committees))}).")
            continue
        if kpi not in kpis:
            refuse("kpi_code", kpi, "Mã chỉ tiêu không có trong danh mục chỉ tiêu "
                   "(seeds/reference/kpi_catalogue.csv).",
                   "Unknown KPI code (not in the KPI catalogue, "
                   "seeds/reference/kpi_catalogue.csv).")
            continue
        try:
            year = parse_vn_int(row["year"])
            if not 2000 <= year <= 2100:
                raise VnParseError("Năm phải trong khoảng 2000–2100.",
                                   "The year must be between 2000 and 2100.")
        except VnParseError as exc:
            refuse("year", row["year"], exc.reason_vi, exc.reason_en)
            continue
        try:
            target = _number(row["target"])
            if target < 0:
                raise VnParseError("Kế hoạch không được âm.", "A target cannot be negative.")
        except (VnParseError, ValueError) as exc:
            refuse("target", row["target"], getattr(exc, "reason_vi", "Không phải số."),
                   getattr(exc, "reason_en", "Not a number."))
            continue
        key = (code, year, kpi)
        if key in seen:
            refuse("kpi_code", kpi, f"Trùng với dòng {seen[key]} (cùng Ban Chỉ đạo, năm, chỉ "
                   "tiêu); dòng trước được dùng.",
                   f"Same committee, year and KPI as line {seen[key]}; the earlier line is used.")
            continue
        seen[key] = line
        targets.append({"committee_code": code, "year": year, "kpi_code": kpi,
                        "target": target, "source_line": line})
    return targets


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = normalize_key(_text(value))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise VnParseError("Ghi 'có' hoặc 'không' (true/false).", "Write 'có' or 'không' (true/false).")


def read_pages(home: Home, problems: list[Problem]) -> list[dict[str, object]]:
    path = pages_file(home)
    if path is None:
        return []
    shown = path.relative_to(home.root).as_posix()
    seen: dict[str, int] = {}
    pages = []
    for line, row in _read(home, path, PAGE_COLUMNS, problems):
        def refuse(column: str, value: object, vi: str, en: str, line: int = line) -> None:
            problems.append(Problem(shown, line, column, _text(value), vi + " Dòng này không "
                                    "được dùng.", en + " The row is left out."))

        page_id = _text(row["page_id"])
        if not PAGE_ID.fullmatch(page_id):
            refuse("page_id", page_id, "ID Trang phải là dãy chữ số (ví dụ 100083915622407); "
                   "nếu hiện dạng 1,22E+17 thì Excel đã làm mất ID.",
                   "The page ID must be digits (e.g. 100083915622407); shown as 1.22E+17, "
                   "Excel has lost the ID.")
            continue
        if page_id in seen:
            refuse("page_id", page_id, f"Trang đã có ở dòng {seen[page_id]}.",
                   f"The page is already listed on line {seen[page_id]}.")
            continue
        try:
            is_committee_page = _flag(row["is_committee_page"])
        except VnParseError as exc:
            refuse("is_committee_page", row["is_committee_page"], exc.reason_vi, exc.reason_en)
            continue
        confirmed_by = _text(row["confirmed_by"])
        if not confirmed_by:
            refuse("confirmed_by", "", "Cần ghi người xác nhận.",
                   "Who confirmed the page is required.")
            continue
        try:
            confirmed: date = parse_vn_date(row["confirmed_date"])
        except VnParseError as exc:
            refuse("confirmed_date", row["confirmed_date"], exc.reason_vi, exc.reason_en)
            continue
        seen[page_id] = line
        pages.append({"page_id": page_id, "page_name": _text(row["page_name"]),
                      "is_committee_page": is_committee_page, "confirmed_by": confirmed_by,
                      "confirmed_date": confirmed.isoformat(), "source_line": line})
    return pages


def read_home_reference(home: Home) -> HomeReference:
    problems: list[Problem] = []
    targets = read_targets(home, problems)
    pages = read_pages(home, problems)
    files = [p.relative_to(home.root).as_posix() for p in input_files(home)]
    return HomeReference(targets, pages, problems, files)


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, object]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(path)
    return path


def write_for_dbt(home: Home) -> tuple[dict[str, str], HomeReference]:
    """Validated copies for dbt in ``HOME/dbt/`` (header only when the home gives none) and
    ``HOME/dbt/home_reference.json`` (what was read and refused, for the audit and status);
    returns the environment variables that point dbt at them."""
    ref = read_home_reference(home)
    # the office file's modification time, for dbt's source freshness
    for rows, path in ((ref.targets, targets_file(home)), (ref.pages, pages_file(home))):
        stamp = (datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M:%S")
                 if path is not None else "")
        for row in rows:
            row["_loaded_at"] = stamp
    targets = _write_csv(home.dbt / "kpi_targets.csv",
                         (*TARGET_COLUMNS, "source_line", "_loaded_at"), ref.targets)
    pages = _write_csv(home.dbt / "pages.csv", (*PAGE_COLUMNS, "source_line", "_loaded_at"),
                       ref.pages)
    report = home.dbt / "home_reference.json"
    report.write_text(json.dumps(ref.to_dict(), ensure_ascii=False, indent=2, sort_keys=True),
                      encoding="utf-8")
    return {"BCD35_KPI_TARGETS_CSV": str(targets), "BCD35_PAGES_CSV": str(pages)}, ref
