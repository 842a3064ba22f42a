"""The five templates, filled like a clerk, go through a real night and give the expected KPIs."""

from __future__ import annotations

from pathlib import Path

import duckdb

from bcd35.clerk.templates import TEMPLATE_KINDS, template_name
from bcd35.config import Home
from bcd35.ingest import list_files
from bcd35.ingest.kinds import KINDS
from tests.clerk.filling import EXPECTED_KPIS, ROWS, TEMPLATES, fill
from tests.support import bcd35


def test_filled_templates_load_and_give_the_expected_kpis(tmp_path: Path):
    home = tmp_path / "home"
    for name in TEMPLATE_KINDS:
        fill(TEMPLATES / template_name(KINDS[name]), ROWS[name],
             home / "inbox" / f"{name}_2025.xlsx")
    check = bcd35(home, "check", *(str(p) for p in sorted((home / "inbox").iterdir())))
    assert check.returncode == 0, check.stdout + check.stderr
    run = bcd35(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    with duckdb.connect(str(home / "warehouse" / "bcd35.duckdb"), read_only=True) as con:
        got = dict(con.sql("select kpi_code, value from marts.mart_kpi_annual "
                           "where year = 2025 and committee_code = 'ham_yen'").fetchall())
    assert {code: got[code] for code in EXPECTED_KPIS} == EXPECTED_KPIS
    files = list_files(Home(home))
    assert [(f.status, f.kinds) for f in files] == [("loaded", (f.kinds[0],)) for f in files]
    assert len(files) == len(TEMPLATE_KINDS)
