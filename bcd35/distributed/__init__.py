"""The distributed deployment: Airflow on Celery workers, PostgreSQL for the Airflow metadata
and for the warehouse, Redis as the Celery broker (README "Production", docs/production.md).

- ``services``: start PostgreSQL, Redis and the Airflow components as OS processes on
  loopback (free ports, readiness by polling, clean-up by PID) — what ``docker-compose.yml``
  runs as containers, and what ``make test-distributed`` runs for real.
- ``secrets``: generated credentials (never committed): passwords, the Fernet key, the JWT
  secret, the simple auth manager's passwords file.
- ``rest``: a small client of Airflow's authenticated REST API v2 (JWT from ``/auth/token``).
- ``warehouse``: write-audit-publish on PostgreSQL: dbt build into candidate schemas, Great
  Expectations audit with the native PostgreSQL data source, swap of schemas in one
  transaction; roles and grants of the analysts.
"""
