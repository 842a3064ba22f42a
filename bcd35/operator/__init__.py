"""What the operator runs beside the nightly load: Airflow's UI (``make up``/``make down``),
progress on the terminal, and the callables of the annual report DAG."""
