"""Is a committee-year complete enough to file as final?

A year is complete when every month of it has records of each *periodic* kind (a committee
holds meetings, issues its bulletin, posts and has its collaborators share every month), no
quarantined file concerns the year, and the partition is not withheld. Which kinds are periodic
is reference data per committee: the package's default (``bcd35/data/periodic_kinds.csv``,
``committee_code`` ``*`` for every committee) and the office's own
``HOME/reference/periodic_kinds.csv`` (``committee_code,kind,periodic``), whose rows win for
their committee and kind (a committee without a bulletin says ``<code>,bulletin_issues,false``).

The months come from the published build's ``marts.mart_kpi_coverage_monthly`` (the month a
record counts in), through the KPI that counts each kind's records.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from bcd35.config import Home, committee_code, committee_of, known_committees
from bcd35.ingest.registry import quarantined_files
from bcd35.partitions import withheld_of

DEFAULT_FILE = Path(__file__).with_name("data") / "periodic_kinds.csv"
HOME_FILE = "periodic_kinds.csv"
# kind → (the KPI that counts its records, its name in Vietnamese, in English)
KINDS = {
    "meetings": ("hoi_nghi_tong_so", "hội nghị", "meetings"),
    "bulletin_issues": ("ban_tin_so_ky", "kỳ bản tin", "bulletin issues"),
    "posts": ("fanpage_tin_bai", "tin bài trên trang", "posts"),
    "shares": ("ctv_tin_bai_chia_se", "chia sẻ của cộng tác viên", "collaborator shares"),
}
_TRUE = {"true", "1", "yes", "có", "co", "x"}
_FALSE = {"false", "0", "no", "không", "khong", ""}
_YEAR = re.compile(r"(?<![0-9])(19[0-9]{2}|20[0-9]{2})(?![0-9])")


class ReferenceError_(ValueError):  # noqa: N801 - a refused reference file
    pass


def _read(path: Path) -> list[tuple[int, dict]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [(n, row) for n, row in enumerate(csv.DictReader(fh), start=2)]


def periodic_kinds(home: Home, committee: str) -> list[str]:
    """The kinds that must have records every month for ``committee``."""
    chosen: dict[str, tuple[int, bool]] = {}  # kind → (precedence, periodic)
    sources = [(DEFAULT_FILE, 0)]
    home_file = home.root / "reference" / HOME_FILE
    if home_file.is_file():
        sources.append((home_file, 2))
    for path, base in sources:
        for line, row in _read(path):
            who = (row.get("committee_code") or "").strip()
            kind = (row.get("kind") or "").strip()
            flag = (row.get("periodic") or "").strip().lower()
            if kind not in KINDS:
                raise ReferenceError_(
                    f"{path}, dòng/line {line}, cột/column 'kind' = '{kind}': loại không có "
                    f"(dùng {', '.join(KINDS)}) / unknown kind (use {', '.join(KINDS)})")
            if flag not in _TRUE | _FALSE:
                raise ReferenceError_(
                    f"{path}, dòng/line {line}, cột/column 'periodic' = '{flag}': cần true/false "
                    "/ expected true or false")
            if who not in ("*", committee):
                continue
            precedence = base + (who == committee)
            if kind not in chosen or precedence >= chosen[kind][0]:
                chosen[kind] = (precedence, flag in _TRUE)
    return [k for k in KINDS if chosen.get(k, (0, False))[1]]


@dataclass
class Completeness:
    committee: str
    year: int
    kinds: list[str]
    missing: dict[str, list[int]] = field(default_factory=dict)  # kind → months without records
    quarantined: list[str] = field(default_factory=list)  # inbox paths
    withheld: list[str] = field(default_factory=list)  # failed checks

    @property
    def complete(self) -> bool:
        return not (any(self.missing.values()) or self.quarantined or self.withheld)

    def months_covered(self) -> int:
        """Months of the year with records of every periodic kind."""
        gaps = {m for months in self.missing.values() for m in months}
        return 12 - len(gaps)

    def lines(self) -> list[str]:
        out = []
        for kind, months in self.missing.items():
            if months:
                _, vi, en = KINDS[kind]
                listed = months_text(months, self.year)
                out.append(f"không có {vi} trong tháng / no {en} in month(s): {listed}")
        for path in self.quarantined:
            out.append(f"tệp đang bị cách ly / file in quarantine: {path}")
        if self.withheld:
            out.append("số liệu năm bị giữ lại / the year is withheld: "
                       + ", ".join(self.withheld))
        return out

    def refusal(self) -> str:
        return (f"Năm {self.year} của {self.committee} chưa đủ để phát hành chính thức; còn "
                f"thiếu: / The {self.year} figures of {self.committee} are not complete enough "
                "for a final release; missing:\n"
                + "\n".join(f"  - {line}" for line in self.lines())
                + "\nBổ sung tệp rồi chạy `bcd35 run`, hoặc phát hành sơ bộ với --provisional. / "
                  "Add the files and run `bcd35 run`, or release provisionally with "
                  "--provisional.")

    def to_dict(self) -> dict:
        return {"complete": self.complete, "kinds": self.kinds, "missing": self.missing,
                "quarantined": self.quarantined, "withheld": self.withheld,
                "months_covered": self.months_covered()}


def months_text(months: list[int], year: int) -> str:
    """``[1, 2, 3, 7]`` → ``01–03/2024, 07/2024``: every month named, runs shortened."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(f"{r[0]:02d}/{year}" if len(r) == 1 else f"{r[0]:02d}–{r[-1]:02d}/{year}"
                     for r in runs)


def months_with_records(build: Path, committee: str, year: int) -> dict[str, set[int]]:
    """KPI code → months of ``year`` with records, from the published build."""
    with duckdb.connect(str(build), read_only=True) as con:
        rows = con.execute(
            "select committee_code, kpi_code, month from marts.mart_kpi_coverage_monthly "
            f"where year = {int(year)} and has_data").fetchall()
    out: dict[str, set[int]] = {}
    for who, code, month in rows:
        if who == committee:
            out.setdefault(code, set()).add(int(month))
    return out


def quarantined_for(home: Home, committee: str, year: int) -> list[str]:
    """Quarantined files still waiting for the clerk that concern the year: the year is in
    their inbox path, or their path names no year at all (it may be any year's)."""

    known = known_committees(home)
    out = []
    for f in quarantined_files(home, include_superseded=False):
        if not (home.inbox / f.original_path).is_file():  # taken out of the inbox: not waiting
            continue
        if committee_of(f.original_path, committee_code(), known) != committee:
            continue
        years = {int(y) for y in _YEAR.findall(f.original_path)}
        if not years or year in years:
            out.append(f.original_path)
    return sorted(out)


def completeness(home: Home, build: Path, manifest: dict, committee: str,
                 year: int) -> Completeness:

    kinds = periodic_kinds(home, committee)
    seen = months_with_records(build, committee, year)
    result = Completeness(committee, year, kinds)
    for kind in kinds:
        months = seen.get(KINDS[kind][0], set())
        result.missing[kind] = [m for m in range(1, 13) if m not in months]
    result.quarantined = quarantined_for(home, committee, year)
    result.withheld = [c for w in withheld_of(manifest)
                       if (w.committee_code, w.year) == (committee, year) for c in w.checks]
    return result
