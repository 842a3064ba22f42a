"""The test harness of the distributed suite (make test-distributed): PostgreSQL, Redis and
the Airflow components as OS processes on loopback (``services``, ``cluster``) and a small
client of Airflow's REST API (``rest``). Test-only: the product package never imports it."""
