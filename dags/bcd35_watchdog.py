"""
### bcd35 watchdog

Every hour: if no nightly run has succeeded for 36 hours, send the stale-warehouse alert (in
Vietnamese and English, once a day while it lasts) to `BCD35_ALERT_URLS`. Without that setting
it sends nothing. Where Airflow's scheduler does not run, `bcd35 alerts check` from cron does
the same. All logic lives in `bcd35.alerts`; this file is configuration.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task

from bcd35.constants import TIMEZONE, WATCHDOG_DAG_ID


@dag(
    dag_id=WATCHDOG_DAG_ID,
    schedule="15 * * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["bcd35", "alerts"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=5), "owner": "bcd35"},
    doc_md=__doc__,
)
def bcd35_watchdog():
    @task
    def check_stale() -> str:
        from bcd35 import alerts
        from bcd35.config import resolve_home

        alert = alerts.check_stale(resolve_home())
        return alert.title if alert else "fresh"

    check_stale()


bcd35_watchdog()
