"""A small client of Airflow's REST API v2, authenticated with a JWT.

Airflow 3's API refuses calls without a bearer token; the simple auth manager issues one for
a user name and password at ``POST /auth/token`` (``{"access_token": …}``). The token is
fetched again when it expires (HTTP 401).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

TERMINAL_STATES = {"success", "failed"}


class ApiError(RuntimeError):
    def __init__(self, response: httpx.Response):
        self.status_code = response.status_code
        super().__init__(f"{response.request.method} {response.request.url.path}: "
                         f"HTTP {response.status_code} {response.text[:500]}")


@dataclass
class AirflowClient:
    base_url: str
    username: str
    password: str
    timeout: float = 30
    _token: str | None = field(default=None, repr=False)

    def token(self) -> str:
        response = httpx.post(f"{self.base_url}/auth/token",
                              json={"username": self.username, "password": self.password},
                              timeout=self.timeout)
        if response.status_code not in (200, 201):
            raise ApiError(response)
        self._token = response.json()["access_token"]
        return self._token

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        for attempt in range(2):
            token = self._token or self.token()
            response = httpx.request(method, f"{self.base_url}{path}",
                                     headers={"Authorization": f"Bearer {token}"},
                                     timeout=self.timeout, **kwargs)
            if response.status_code == 401 and attempt == 0:
                self._token = None  # expired: log in again once
                continue
            return response
        return response

    def json(self, method: str, path: str, **kwargs) -> dict:
        response = self.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response)
        return response.json()

    # --- DAGs and runs ----------------------------------------------------------------------

    def dag_exists(self, dag_id: str) -> bool:
        return self.request("GET", f"/api/v2/dags/{quote(dag_id)}").status_code == 200

    def unpause(self, dag_id: str) -> dict:
        return self.json("PATCH", f"/api/v2/dags/{quote(dag_id)}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None, note: str | None = None) -> str:
        body: dict = {"logical_date": None, "conf": conf or {}}
        if note:
            body["note"] = note
        return self.json("POST", f"/api/v2/dags/{quote(dag_id)}/dagRuns", json=body)["dag_run_id"]

    def dag_run(self, dag_id: str, run_id: str) -> dict:
        return self.json("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id, safe='')}")

    def dag_runs(self, dag_id: str, limit: int = 100) -> list[dict]:
        return self.json("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns",
                         params={"limit": limit, "order_by": "run_after"})["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str = "~", limit: int = 1000) -> list[dict]:
        path = f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id, safe='~')}/taskInstances"
        return self.json("GET", path, params={"limit": limit})["task_instances"]

    def wait_for_runs(self, dag_id: str, run_ids: list[str], timeout: float,
                      interval: float = 2) -> dict[str, dict]:
        """Poll until every run is success or failed; returns run_id → last run record.
        Raises TimeoutError naming the runs still going at the deadline."""
        deadline = time.monotonic() + timeout
        done: dict[str, dict] = {}
        while True:
            for run_id in run_ids:
                if run_id in done:
                    continue
                run = self.dag_run(dag_id, run_id)
                if run["state"] in TERMINAL_STATES:
                    done[run_id] = run
            if len(done) == len(run_ids):
                return done
            if time.monotonic() > deadline:
                pending = sorted(set(run_ids) - set(done))
                raise TimeoutError(f"{len(pending)} run(s) of {dag_id} not finished after "
                                   f"{timeout:.0f} s: {pending[:5]}")
            time.sleep(interval)
