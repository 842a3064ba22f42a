"""The warehouse on PostgreSQL for the distributed deployment (Airflow on Celery workers,
Redis as the broker; see docs/production.md).

- ``warehouse``: write-audit-publish on PostgreSQL: dbt build into candidate schemas, Great
  Expectations audit with the native PostgreSQL data source, swap of schemas in one
  transaction; roles and grants of the analysts.

The deployment's helpers (generated secrets, provisioning of databases and roles) are in
``deploy/``; the processes ``make test-distributed`` starts are the test harness in
``tests/harness/``.
"""
