"""Names and fixed values the package, the DAG files and the deployment share, defined once.

A light module (no imports): the DAG files import it at parse time.
"""

#: The committee of Hàm Yên district: the default of a home.
DEFAULT_COMMITTEE = "ham_yen"

#: The committees' time zone: DAG schedules, Airflow's default, dates without one.
TIMEZONE = "Asia/Ho_Chi_Minh"

#: The DAG ids.
NIGHTLY_DAG_ID = "bcd35_nightly"
ANNUAL_REPORT_DAG_ID = "bcd35_annual_report"
WATCHDOG_DAG_ID = "bcd35_watchdog"

#: The one-slot Airflow pool every task that writes the warehouse takes.
WAREHOUSE_POOL = "bcd35_warehouse"

#: The asset the nightly DAG updates when it publishes; the annual-report DAG is scheduled on it.
PUBLISHED_WAREHOUSE_URI = "bcd35://warehouse/published"

#: The PostgreSQL databases and roles of the distributed deployment (docs/production.md):
#: Airflow's metadata (and Celery's results) in ``airflow``, owned by the role ``airflow``;
#: the warehouse in ``bcd35``, owned by ``bcd35_builder``, read by ``bcd35_analyst``.
AIRFLOW_DATABASE = "airflow"
AIRFLOW_ROLE = "airflow"
WAREHOUSE_DATABASE = "bcd35"
BUILDER_ROLE = "bcd35_builder"
ANALYST_ROLE = "bcd35_analyst"
