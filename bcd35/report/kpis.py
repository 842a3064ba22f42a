"""Read the annual KPIs of one committee and year from a published build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class KpiRow:
    code: str
    name_vi: str
    unit_vi: str
    value: float | int
    target: float | int | None
    previous_year: float | int | None
    pct_of_target: float | None


def _num(value):
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 2)


def read_annual_kpis(build: Path, committee: str, year: int) -> list[KpiRow]:
    with duckdb.connect(str(build), read_only=True,
                        config={"enable_external_access": False}) as con:
        rows = con.execute(
            "select kpi_code, name_vi, unit_vi, value, target, previous_year_value, "
            "pct_of_target from marts.mart_kpi_annual "
            "where committee_code = ? and year = ? order by sort_order",
            [committee, year],
        ).fetchall()
    return [
        KpiRow(code, name, unit, _num(value), _num(target), _num(previous),
               None if pct is None else float(pct))
        for code, name, unit, value, target, previous, pct in rows
    ]


def monthly_series(build: Path, committee: str, year: int) -> list[tuple[str, int, float]]:
    with duckdb.connect(str(build), read_only=True,
                        config={"enable_external_access": False}) as con:
        return con.execute(
            "select kpi_code, month, value from marts.mart_kpi_monthly "
            "where committee_code = ? and year = ? order by sort_order, month",
            [committee, year],
        ).fetchall()
