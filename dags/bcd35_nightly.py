"""
### bcd35 nightly load

Every night at 01:30 (the committees' time zone, `bcd35.constants.TIMEZONE`) the Steering
Committee 35 warehouse:

1. **ingest** — reads every new file dropped in `$BCD35_HOME/inbox/`, recognises its kind
   from its header, loads it whole into the raw layer or quarantines it with a report; a
   loaded file replaced at its path is superseded, one gone from the inbox is withdrawn (more
   than 10 % of the loaded files at once stops the run until the operator confirms with
   `bcd35 run --accept-withdrawals`);
2. **build** — runs `dbt build` into a *new candidate* DuckDB file; when nothing the build
   depends on changed since the published build (same raw files, code, dbt project, seeds,
   suites and key: `bcd35.fingerprint`), it is *skipped*, and so are audit and publish;
3. **audit** — runs the Great Expectations suites of `expectations/` on the candidate;
   a failed blocking check fails this task with the list of checks, in Vietnamese and
   English, and nothing is published;
4. **publish** — atomically switches the file analysts read to the candidate.

Tasks that write the warehouse run in the one-slot pool `bcd35_warehouse`, and every task
holds the home's writer lock (`bcd35.lock`): never two writers, whoever started them. A task
that fails for good sends the night-failed alert through the Apprise notifier (`bcd35.alerts`,
off until `BCD35_ALERT_URLS` is set); the ingest task sends the quarantined-files alert.
All logic lives in the `bcd35` package (`bcd35.nightly`); this file is configuration.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task

from bcd35.constants import NIGHTLY_DAG_ID, PUBLISHED_WAREHOUSE_URI, TIMEZONE, WAREHOUSE_POOL

PUBLISHED_WAREHOUSE = Asset(PUBLISHED_WAREHOUSE_URI)


def _home():
    from bcd35.config import resolve_home

    return resolve_home()


def _run_id() -> str:
    return get_current_context()["run_id"]


def _alert_night_failed(context) -> None:
    from bcd35 import alerts

    alerts.send_night_failed(_home(), context["run_id"], context)


@dag(
    dag_id=NIGHTLY_DAG_ID,
    schedule="30 1 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    tags=["bcd35", "nightly", "warehouse"],
    default_args={"retries": 1, "retry_delay": timedelta(minutes=2), "owner": "bcd35",
                  "on_failure_callback": _alert_night_failed},
    doc_md=__doc__,
)
def bcd35_nightly():
    @task(pool=WAREHOUSE_POOL)
    def ingest() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from bcd35 import nightly

        try:
            return nightly.ingest(_home(), _run_id())
        except nightly.WithdrawalsPending as exc:  # waits for the operator: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(pool=WAREHOUSE_POOL)
    def build(ingested: dict) -> str:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from bcd35 import nightly
        from bcd35.warehouse import BuildFailed

        try:
            return nightly.build(_home(), _run_id())
        except nightly.NothingChanged as exc:  # audit and publish are skipped too
            raise AirflowSkipException(str(exc)) from exc
        except BuildFailed as exc:  # deterministic: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task
    def audit(build_id: str) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from bcd35 import nightly

        try:
            nightly.audit(_home(), _run_id(), build_id)
        except nightly.AuditFailed as exc:  # deterministic: retrying cannot help
            raise AirflowFailException(str(exc)) from exc
        return build_id

    @task(pool=WAREHOUSE_POOL, outlets=[PUBLISHED_WAREHOUSE])
    def publish(build_id: str) -> str:
        from bcd35 import nightly

        return nightly.publish(_home(), _run_id(), build_id)

    publish(audit(build(ingest())))


bcd35_nightly()
