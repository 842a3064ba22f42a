"""bcd35.airflow_env: the one builder of Airflow's environment
(docs/development.md#airflow-environments).

The distributed shape is compared with docker-compose.yml in test_compose.py; here, what holds
for every shape: Airflow knows every option it sets (a misspelt one would be ignored without a
word), and ``bcd35 up`` keeps ``bcd35 run``'s values (the same metadata database, DAGs and home,
so the runs of one show in the UI of the other).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bcd35 import airflow_env as builder
from bcd35.airflow_env import Distributed, Embedded, Endpoint, Standalone, airflow_env
from bcd35.config import Home
from deploy.secrets import AIRFLOW_USERS, Secrets


def every_shape(root: Path) -> list:
    home = Home(root / "home")
    loopback = "127.0.0.1"
    return [
        Embedded(home),
        Standalone(home, 8765),
        Distributed(  # every optional part given, so each option it can set is checked
            postgres=Endpoint(loopback, 5432), redis=Endpoint(loopback, 6379),
            api_server=Endpoint(loopback, 8080), secrets=Secrets.generate(),
            users=AIRFLOW_USERS, passwords_file=str(root / "passwords.json"),
            dags_folder=str(root / "dags"), pythonpath=str(root), bcd35_home=str(home.root),
            airflow_home=str(root / "airflow"), listen_host=loopback,
            scheduler_health_port=8975, use_job_schedule=False),
    ]


def unknown_options(env: dict[str, str]) -> list[str]:
    """The ``AIRFLOW__SECTION__KEY`` variables that name no option of this Airflow (core and
    providers)."""
    from airflow.configuration import conf

    known = conf.configuration_description
    unknown = []
    for key in sorted(k for k in env if k.startswith("AIRFLOW__")):
        _, section, option = (part.lower() for part in key.split("__", 2))
        if option not in known.get(section, {}).get("options", {}):
            unknown.append(key)
    return unknown


def changed_from_embedded(home: Home) -> dict[str, tuple[str, str | None]]:
    """The values of ``bcd35 run``'s environment that ``bcd35 up``'s changes or drops."""
    embedded = airflow_env(Embedded(home))
    standalone = airflow_env(Standalone(home, 8765))
    return {k: (v, standalone.get(k)) for k, v in embedded.items() if standalone.get(k) != v}


@pytest.mark.parametrize("index", range(3), ids=["embedded", "standalone", "distributed"])
def test_every_option_of_every_shape_is_one_airflow_knows(tmp_path, index):
    env = airflow_env(every_shape(tmp_path)[index])
    assert any(k.startswith("AIRFLOW__") for k in env)
    assert unknown_options(env) == []


def test_a_planted_misspelt_option_is_caught(tmp_path):
    env = airflow_env(Embedded(Home(tmp_path / "home")))
    env["AIRFLOW__CORE__PARALELISM"] = env.pop("AIRFLOW__CORE__PARALLELISM")
    assert unknown_options(env) == ["AIRFLOW__CORE__PARALELISM"]


def test_bcd35_up_keeps_the_database_dags_and_home_of_bcd35_run(tmp_path):
    assert changed_from_embedded(Home(tmp_path / "home")) == {}


def test_a_planted_standalone_value_that_leaves_bcd35_runs_database_is_caught(
        tmp_path, monkeypatch):
    server = builder._server

    def elsewhere(*args):
        return {**server(*args), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sqlite:////tmp/x.db"}

    monkeypatch.setattr(builder, "_server", elsewhere)
    home = Home(tmp_path / "home")
    assert changed_from_embedded(home) == {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
        f"sqlite:///{home.airflow}/airflow.db", "sqlite:////tmp/x.db")}


def test_a_value_that_is_no_shape_is_refused(tmp_path):
    with pytest.raises(TypeError, match="not a deployment shape"):
        airflow_env(Home(tmp_path / "home"))
