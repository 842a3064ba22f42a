"""What the annual report DAG (``dags/bcd35_annual_report.py``) does after each publication.

The office files the report of a year in January of the next; during the year the draft of
the year in progress is useful too. So each time the nightly DAG publishes a validated build,
the report of the current year and of the previous one is rewritten from it — each only if
the published build has figures for that year (a year without any is skipped, not failed).
A trigger with ``{"years": [2024]}`` writes exactly the years asked for. A year whose figures
were withheld by the last night's checks is not written (its last report stays) and is listed
under ``withheld`` with the clerk's messages.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bcd35.config import Home, committee_code, page_timezone
from bcd35.partitions import withheld_of
from bcd35.report import write_report
from bcd35.report.kpis import read_annual_kpis
from bcd35.warehouse import published_build, read_manifest


def default_years(now: datetime | None = None) -> list[int]:
    """The previous and the current year, in the committee's time zone."""
    now = now or datetime.now(ZoneInfo(page_timezone()))
    return [now.year - 1, now.year]


def years_with_figures(home: Home, years: list[int], committee: str | None = None) -> list[int]:
    """Those of ``years`` for which the published build has annual KPIs."""

    build = published_build(home)
    if build is None:
        return []
    committee = committee or committee_code()
    return [y for y in years if any(k.has_data for k in read_annual_kpis(build, committee, y))]


def write_reports(home: Home, years: list[int] | None = None) -> dict[str, list]:
    """Write the report of each year with figures; ``{"written": [...], "skipped": [...]}``.

    ``written`` lists ``{"year", "directory", "build_id", "files"}``. Raises
    :class:`bcd35.report.ReportRefused` when the published build may not be reported from.
    """

    asked = sorted(set(years or default_years()))
    todo = years_with_figures(home, asked)
    build = published_build(home)
    held = {w.year: w for w in (withheld_of(read_manifest(build)) if build else [])
            if w.committee_code == committee_code()}
    written = []
    for year in todo:
        if year in held:
            continue
        report = write_report(home, year, committee_code())
        written.append({"year": year, "directory": str(report.directory),
                        "build_id": report.build_id, "files": len(report.files)})
    return {"written": written, "skipped": [y for y in asked if y not in todo],
            "withheld": [held[y].render() for y in asked if y in held]}
