"""
### bcd35 annual report

Runs each time the nightly DAG publishes a validated build (the published-warehouse asset,
`bcd35.constants.PUBLISHED_WAREHOUSE_URI`, an outlet of its `publish` task) and rewrites the
annual report
(`$BCD35_HOME/exports/<year>/`: KPI table in JSON, CSV and Excel, the Word draft, charts, the
audit pack and the page `index.html`) of the **previous and the current year**, each year only
if the published build has figures for it.

These are working drafts, marked "DỰ THẢO / draft". This DAG never makes a release
(`HOME/releases/`): what the office files is its own decision, `bcd35 release`.

Trigger it by hand with the configuration `{"years": [2024]}` to write given years.
A report is written from the published, validated build only: if the last nightly run failed
its checks, this DAG fails with the reason (in Vietnamese and English) and writes nothing.
All logic lives in `bcd35.operator.annual_report` and `bcd35.report`; this file is configuration.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, Param, dag, get_current_context, task

from bcd35.constants import ANNUAL_REPORT_DAG_ID, PUBLISHED_WAREHOUSE_URI, TIMEZONE

# The same URI as the outlet of the nightly DAG's publish task.
PUBLISHED_WAREHOUSE = Asset(PUBLISHED_WAREHOUSE_URI)


@dag(
    dag_id=ANNUAL_REPORT_DAG_ID,
    schedule=[PUBLISHED_WAREHOUSE],
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["bcd35", "report", "annual"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2), "owner": "bcd35"},
    params={"years": Param([], type="array", items={"type": "integer"},
                           description="Years to write; empty = the previous and current year")},
    doc_md=__doc__,
)
def bcd35_annual_report():
    @task
    def write_reports() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from bcd35.config import resolve_home
        from bcd35.operator.annual_report import write_reports as write
        from bcd35.report import ReportRefused

        years = [int(y) for y in get_current_context()["params"].get("years") or []]
        try:
            done = write(resolve_home(), years or None)
        except ReportRefused as exc:  # the published build may not be reported from
            raise AirflowFailException(str(exc)) from exc
        for held in done["withheld"]:  # the task log says what `bcd35 run` said
            print(held, flush=True)
        return done

    write_reports()


bcd35_annual_report()
