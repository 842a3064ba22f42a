"""A whole distributed deployment on one machine, as processes: the services of
``docker-compose.yml`` (PostgreSQL, Redis, api-server, scheduler, dag-processor, Celery
workers) started on loopback with generated secrets, for ``make test-distributed``.

    with LocalCluster.started(tmp_dir, workers=2) as cluster:
        client = cluster.client("bcd35_ops")
        run_id = client.trigger("bcd35_nightly")

Airflow is configured through ``AIRFLOW__*`` environment variables only (no airflow.cfg is
written: a fresh AIRFLOW_HOME per cluster): the compose file's, built by the same
``bcd35.airflow_env`` shape (``Distributed``) that tests/unit/test_compose.py checks the
compose file against. Each component gets the same environment, except each Celery worker's
log-server port. ``timings`` records how long each start-up took.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bcd35.airflow_env import (
    LOOPBACK,
    WORKER_CONCURRENCY,
    Distributed,
    Endpoint,
    airflow_env,
    warehouse_env,
)
from bcd35.config import DAGS_DIR, REPO_ROOT
from bcd35.constants import WAREHOUSE_POOL
from deploy import secrets as secrets_mod
from deploy.provision import provision
from tests.harness.rest import AirflowClient
from tests.harness.services import (
    VENV_BIN,
    Postgres,
    Processes,
    Redis,
    StartupFailed,
    free_port,
    http_json,
    http_ok,
    wait_until,
)

POOL = WAREHOUSE_POOL


@dataclass
class LocalCluster:
    root: Path
    home: Path                     # BCD35_HOME shared by every worker
    secrets: secrets_mod.Secrets
    processes: Processes
    n_workers: int = 2
    cron: bool = True              # False: runs only when triggered (tests)
    pg: Postgres | None = None
    redis: Redis | None = None
    api_port: int = 0
    scheduler_health_port: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    # --- configuration ----------------------------------------------------------------------

    @property
    def airflow_home(self) -> Path:
        return self.root / "airflow"

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    def _endpoint(self, port: int) -> Endpoint:
        return Endpoint(LOOPBACK, port)

    def warehouse_env(self) -> dict[str, str]:
        """What the nightly stages read to reach the warehouse (warehouse.postgres.PgTarget)."""
        return warehouse_env(self._endpoint(self.pg.port), self.secrets.warehouse_password)

    def airflow_env(self) -> dict[str, str]:
        """The compose file's environment (the ``Distributed`` shape of bcd35.airflow_env) with
        this cluster's loopback ports, paths and secrets, over this process's environment
        without its Airflow, bcd35 and PostgreSQL variables."""
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW", "BCD35_", "PG"))
        }
        env.update(airflow_env(Distributed(
            postgres=self._endpoint(self.pg.port),
            redis=self._endpoint(self.redis.port),
            api_server=self._endpoint(self.api_port),
            secrets=self.secrets,
            users=secrets_mod.AIRFLOW_USERS,
            passwords_file=str(self.root / "secrets" / "simple_auth_manager_passwords.json"),
            dags_folder=str(DAGS_DIR),
            # the repository's bcd35 package, whichever checkout runs the cluster
            pythonpath=str(REPO_ROOT),
            bcd35_home=str(self.home),
            airflow_home=str(self.airflow_home),
            listen_host=LOOPBACK,
            scheduler_health_port=self.scheduler_health_port,
            use_job_schedule=self.cron,
        )))
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
        return env

    def client(self, user: str = "bcd35_ops") -> AirflowClient:
        return AirflowClient(self.api_url, user, self.secrets.airflow_passwords[user])

    # --- start-up ---------------------------------------------------------------------------

    def _timed(self, name: str, seconds: float) -> None:
        self.timings[name] = round(seconds, 2)

    def start_databases(self) -> None:
        started = time.monotonic()
        self.pg = Postgres.init(self.root / "postgres", self.secrets.postgres_password)
        self._timed("postgres initdb", time.monotonic() - started)
        self._timed("postgres ready", self.pg.start())
        provision(self.pg.connect_admin, self.secrets.airflow_db_password,
                  self.secrets.warehouse_password, self.secrets.analyst_password)
        redis, took = Redis.start(self.root / "redis", self.secrets.redis_password,
                                  self.processes)
        self.redis = redis
        self._timed("redis ready", took)

    def _airflow(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(VENV_BIN / "airflow"), *args], env=self.airflow_env(),
                              capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise StartupFailed(f"airflow {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n"
                                f"{proc.stderr[-3000:]}")
        return proc

    def init_airflow(self) -> None:
        """The compose file's airflow-init: migrate the metadata DB, create the pool."""
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        secrets_mod.write_passwords_file(
            self.root / "secrets" / "simple_auth_manager_passwords.json", self.secrets)
        started = time.monotonic()
        self._airflow("db", "migrate")
        self._timed("airflow db migrate", time.monotonic() - started)
        self._airflow("pools", "set", POOL, "1", "bcd35: one writer of the warehouse")

    def start_airflow(self) -> None:
        airflow = str(VENV_BIN / "airflow")
        env = self.airflow_env()
        started = time.monotonic()
        api = self.processes.start("api-server", [airflow, "api-server", "--host", "127.0.0.1",
                                                  "--port", str(self.api_port),
                                                  "--workers", "1"], env)
        scheduler = self.processes.start("scheduler", [airflow, "scheduler"], env)
        dag_processor = self.processes.start("dag-processor", [airflow, "dag-processor"], env)
        workers = []
        for i in range(1, self.n_workers + 1):
            worker_env = {**env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
            workers.append(self.processes.start(
                f"worker-{i}", [airflow, "celery", "worker", "--celery-hostname",
                                f"bcd35-worker-{i}@%h", "--concurrency", str(WORKER_CONCURRENCY),
                                "--without-gossip"], worker_env))

        def all_alive() -> str | None:
            for proc in (api, scheduler, dag_processor, *workers):
                if reason := proc.died():
                    return reason
            return None

        self._timed("api-server ready", wait_until(
            lambda: http_ok(f"{self.api_url}/api/v2/monitor/health"), "api-server health",
            180, alive=all_alive))
        self._timed("scheduler ready", wait_until(
            lambda: http_ok(f"http://127.0.0.1:{self.scheduler_health_port}/health"),
            "scheduler health", 180, alive=all_alive) + self.timings["api-server ready"])
        wait_until(self._components_healthy, "metadatabase, scheduler and dag-processor "
                   "healthy (/api/v2/monitor/health)", 180, alive=all_alive)
        self._timed("workers ready", wait_until(
            lambda: self._workers_answer(env), "celery workers answer ping", 240,
            alive=all_alive, interval=1))
        self._timed("airflow components ready", time.monotonic() - started)

    def _components_healthy(self) -> bool:
        health = http_json(f"{self.api_url}/api/v2/monitor/health")
        return all(health.get(part, {}).get("status") == "healthy"
                   for part in ("metadatabase", "scheduler", "dag_processor"))

    def _workers_answer(self, env: dict[str, str]) -> bool:
        """``celery inspect ping``, as the compose file's worker health check does."""
        proc = subprocess.run(
            [str(VENV_BIN / "celery"), "--app",
             "airflow.providers.celery.executors.celery_executor.app", "inspect", "ping",
             "--timeout", "2"], env=env, capture_output=True, text=True, timeout=60,
            check=False)
        answered = proc.stdout.count("pong")
        return answered >= self.n_workers

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> float:
        client = self.client("bcd35_ops")
        took = wait_until(lambda: client.dag_exists(dag_id), f"DAG {dag_id} parsed", timeout,
                          alive=self._any_died, interval=1)
        self._timed("dag parsed", took)
        return took

    def _any_died(self) -> str | None:
        for proc in self.processes.procs:
            if reason := proc.died():
                return reason
        return None

    # --- life cycle -------------------------------------------------------------------------

    def stop(self) -> None:
        try:
            self.processes.stop_all()
        finally:
            if self.pg is not None:
                self.pg.stop()

    @classmethod
    @contextlib.contextmanager
    def started(cls, root: Path, workers: int = 2, cron: bool = True,
                ) -> Iterator[LocalCluster]:
        root.mkdir(parents=True, exist_ok=True)
        cluster = cls(root=root, home=root / "home", secrets=secrets_mod.Secrets.generate(),
                      processes=Processes(root / "logs"), n_workers=workers, cron=cron,
                      api_port=free_port(), scheduler_health_port=free_port())
        try:
            cluster.start_databases()
            cluster.init_airflow()
            cluster.start_airflow()
            yield cluster
        finally:
            cluster.stop()

    def leftovers(self) -> list[int]:
        """PIDs we started (and their process groups, and PostgreSQL) still running."""
        from tests.harness.services import group_members, pid_alive

        pids = set()
        for pid in self.processes.started_pids:
            if pid_alive(pid):
                pids.add(pid)
            pids.update(group_members(pid))
        if self.pg is not None and self.pg.pid is not None and pid_alive(self.pg.pid):
            pids.add(self.pg.pid)
        return sorted(pids)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
