"""Read what the annual report shows from a published build (read-only, no external access).

Everything the report writers need is read here, in one read-only connection, into plain
dataclasses (:class:`ReportData`), so the writers never touch the warehouse and can be tested
on hand-made data (:meth:`ReportData.from_dict`).

``value`` is ``None`` when the year has no records of the KPI's source (no data), which is not
the same as 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import duckdb

from bcd35.partitions import partition_sources

Number = float | int


@dataclass(frozen=True)
class KpiRow:
    code: str
    name_vi: str
    unit_vi: str
    value: Number | None  # None = no data for the year
    target: Number | None
    previous_year: Number | None  # None = no data for the year before (or no such year)
    pct_of_target: float | None
    # the year, or the previous year it is compared with, does not span January–December
    # (marts.mart_kpi_coverage): the comparison is not like for like
    is_partial_year: bool = False
    is_previous_year_partial: bool = False
    # where the previous year's value comes from: "rN" (the latest final release of that year)
    # or None (the warehouse), and how many months of it the warehouse covers
    previous_year_release: str | None = None
    previous_year_months: int | None = None

    @property
    def has_data(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Committee:
    code: str
    name_vi: str  # "Ban Chỉ đạo 35 huyện Hàm Yên"
    district_name_vi: str  # "Hàm Yên"
    province_name_vi: str  # "Tuyên Quang"


@dataclass(frozen=True)
class ReportData:
    """The figures of one committee and year, with the build manifest they came from."""

    year: int
    committee: Committee
    kpis: list[KpiRow]
    monthly: dict[str, list[Number | None]]  # KPI code → 12 monthly values (Jan … Dec)
    manifest: dict
    publications: list[str] = field(default_factory=list)  # bulletin titles of the year
    # the build's source files behind this committee-year (None: the manifest's, all of them)
    sources: list[dict] | None = None

    @property
    def source_files(self) -> list[dict]:
        """The source files of the report: those with rows in its committee-year."""
        return self.sources if self.sources is not None else self.manifest.get("sources", [])

    def kpi(self, code: str) -> KpiRow | None:
        return next((k for k in self.kpis if k.code == code), None)

    def value(self, code: str) -> Number | None:
        row = self.kpi(code)
        return None if row is None else row.value

    def to_dict(self) -> dict:
        return {"year": self.year, "committee": asdict(self.committee),
                "kpis": [asdict(k) for k in self.kpis], "monthly": self.monthly,
                "manifest": self.manifest, "publications": self.publications}

    @classmethod
    def from_dict(cls, doc: dict) -> ReportData:
        return cls(year=int(doc["year"]), committee=Committee(**doc["committee"]),
                   kpis=[KpiRow(**k) for k in doc["kpis"]],
                   monthly={k: list(v) for k, v in doc["monthly"].items()},
                   manifest=doc["manifest"], publications=list(doc.get("publications", [])))


def _num(value) -> Number | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def _connect(build: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(build), read_only=True, config={"enable_external_access": False})


# The queries bind no parameters: DuckDB's Python client imports numpy and pandas on the first
# bound parameter (over a second). The year goes in as an int literal and rows are filtered
# by committee in Python (the marts are small), so no text is ever spliced into SQL.


def _annual(con: duckdb.DuckDBPyConnection, committee: str, year: int) -> list[KpiRow]:
    rows = con.execute(
        "select committee_code, kpi_code, name_vi, unit_vi, value, target, "
        "previous_year_value, pct_of_target, is_partial_year, is_previous_year_partial "
        f"from marts.mart_kpi_annual where year = {int(year)} order by sort_order"
    ).fetchall()
    return [
        KpiRow(code, name, unit, _num(value), _num(target), _num(previous),
               None if pct is None else float(pct), bool(partial), bool(previous_partial))
        for who, code, name, unit, value, target, previous, pct, partial, previous_partial
        in rows if who == committee
    ]


def _months_covered(con: duckdb.DuckDBPyConnection, committee: str,
                    year: int) -> dict[str, int]:
    """KPI code → months of ``year`` with records (of the KPI's own source where it has one,
    else of the committee's records of any kind)."""
    try:
        rows = con.execute(
            "select committee_code, kpi_code, coverage_basis, n_months_with_data, "
            "year_n_months_with_data from marts.mart_kpi_coverage "
            f"where year = {int(year)}").fetchall()
    except duckdb.Error:  # a build from before the coverage mart
        return {}
    return {code: int((own if basis == "kpi_source" else whole) or 0)
            for who, code, basis, own, whole in rows if who == committee}


def _monthly(con: duckdb.DuckDBPyConnection, committee: str,
             year: int) -> dict[str, list[Number | None]]:
    series: dict[str, list[Number | None]] = {}
    for who, code, month, value in con.execute(
        "select committee_code, kpi_code, month, value from marts.mart_kpi_monthly "
        f"where year = {int(year)} order by sort_order, month"
    ).fetchall():
        if who != committee:
            continue
        months = series.setdefault(code, [None] * 12)
        if 1 <= month <= 12:
            months[month - 1] = _num(value)
    return series


def _committee(con: duckdb.DuckDBPyConnection, committee: str) -> Committee:
    rows = con.execute(
        "select committee_code, name_vi, district_name_vi, province_name_vi "
        "from marts.dim_committee").fetchall()
    row = next((r[1:] for r in rows if r[0] == committee), None)
    if row is None:
        return Committee(committee, committee, committee, "")
    return Committee(committee, *(str(v or "") for v in row))


def _publications(con: duckdb.DuckDBPyConnection, committee: str, year: int) -> list[str]:
    """Bulletin titles of the year, for the sentence about bulletins (optional: [] if the
    mart has other columns)."""
    try:
        rows = con.execute(
            "select distinct committee_code, publication_name from marts.fct_bulletin_issues "
            f"where issue_year = {int(year)} and publication_name is not null order by 2"
        ).fetchall()
    except duckdb.Error:
        return []
    return [name for who, name in rows if who == committee]


def read_report_data(build: Path, committee: str, year: int, manifest: dict) -> ReportData:
    with _connect(build) as con:
        months = _months_covered(con, committee, year - 1)
        kpis = [replace(k, previous_year_months=months.get(k.code))
                if k.previous_year is not None else k for k in _annual(con, committee, year)]
        return ReportData(
            year=year,
            committee=_committee(con, committee),
            kpis=kpis,
            monthly=_monthly(con, committee, year),
            manifest=manifest,
            publications=_publications(con, committee, year),
            sources=partition_sources(con, manifest.get("sources", []), committee, year),
        )


def read_annual_kpis(build: Path, committee: str, year: int) -> list[KpiRow]:
    with _connect(build) as con:
        return _annual(con, committee, year)


def monthly_series(build: Path, committee: str, year: int) -> dict[str, list[Number | None]]:
    with _connect(build) as con:
        return _monthly(con, committee, year)
