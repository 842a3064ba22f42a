"""docker-compose.yml, validated without Docker (Docker does not run on our machines):
the services of Airflow's official compose file, health checks, pinned images, every secret
from the environment with ``${VAR:?}``, the project's folders mounted, the commands it
runs exist in this environment, and its Airflow environment is bcd35.airflow_env's distributed
shape (value for value, secrets by variable name). ``make test-distributed`` runs the same
services as processes (tests/harness/cluster.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict] = COMPOSE["services"]
AIRFLOW_SERVICES = ["airflow-init", "airflow-apiserver", "airflow-scheduler",
                    "airflow-dag-processor", "airflow-triggerer", "airflow-worker"]
ONE_SHOT = {"airflow-init", "bcd35-init"}
SECRET_WORDS = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$|PSEUDONYM", re.I)
VAR = re.compile(r"\$\{([A-Z0-9_]+)(:\?[^}]*|:-[^}]*|-[^}]*|\?[^}]*)?\}")


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _strings(node) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def test_the_services_of_the_official_compose_file():
    assert {"postgres", "redis", "bcd35-init", *AIRFLOW_SERVICES} <= set(SERVICES)
    for name in AIRFLOW_SERVICES:
        assert _env(SERVICES[name])["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    for name, service in SERVICES.items():
        for dependency in service.get("depends_on") or {}:
            assert dependency in SERVICES, (name, dependency)
            assert dependency != name


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test"), f"{name} has no health check"
        assert check.get("interval") and check.get("retries"), name
    # services start only when what they need is healthy / done
    for name in AIRFLOW_SERVICES:
        needs = SERVICES[name]["depends_on"]
        assert needs["postgres"]["condition"] == "service_healthy", name
        assert needs["redis"]["condition"] == "service_healthy", name
    for name in set(AIRFLOW_SERVICES) - {"airflow-init"}:
        assert SERVICES[name]["depends_on"]["airflow-init"]["condition"] == \
            "service_completed_successfully", name


def test_images_are_pinned():
    for name, service in SERVICES.items():
        image = service["image"]
        default = VAR.sub(lambda m: (m.group(2) or ":-")[2:], image) if "${" in image else image
        assert ":" in default and not default.endswith(":latest"), (name, image)
        assert re.search(r":\S*\d+\.\d+", default), f"{name}: {image} is not pinned"
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    [base] = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert re.fullmatch(r"apache/airflow:3\.3\.\d+-python3\.11", base)


def test_no_literal_secret_every_secret_from_the_environment():
    referenced = set()
    for name, service in SERVICES.items():
        for key, value in _env(service).items():
            if SECRET_WORDS.search(key) and key not in ("AIRFLOW__CORE__FERNET_KEY_CMD",):
                if key.endswith("_FILE") or key == "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS":
                    continue
                refs = VAR.findall(value)
                assert refs, f"{name}: {key} is not taken from the environment"
                assert all(op.startswith(":?") for _, op in refs), \
                    f"{name}: {key} must use ${{VAR:?}} so a missing secret stops start-up"
        for text in _strings(service):
            # a URL with credentials carries them only as ${VAR:?} references
            for creds in re.findall(r"://([^@/\s]*)@", text):
                password = creds.split(":", 1)[1] if ":" in creds else ""
                assert password == "" or re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]*\}", password), \
                    (name, text)
            referenced.update(v for v, op in VAR.findall(text) if op.startswith(":?"))
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    listed = dict(line.split("=", 1) for line in example.splitlines()
                  if line and not line.startswith("#"))
    assert referenced <= set(listed), f"missing from .env.example: {referenced - set(listed)}"
    assert all(listed[v] == "" for v in referenced), ".env.example must not carry secrets"
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert not (REPO / ".env").exists() or ".env" in ignored


def test_security_settings():
    env = _env(SERVICES["airflow-apiserver"])
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert env["AIRFLOW__API__EXPOSE_CONFIG"] == "False"
    assert "admin:admin" in env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]  # user:role
    # published ports only on loopback
    for name, service in SERVICES.items():
        for port in service.get("ports") or []:
            assert str(port).startswith("127.0.0.1:"), (name, port)
    # redis gets its password on stdin, not on the command line
    assert "REDIS_PASSWORD" not in " ".join(SERVICES["redis"]["command"]).replace(
        "$$REDIS_PASSWORD", "")


def test_project_folders_are_mounted_and_the_warehouse_switch():
    for name in ("airflow-scheduler", "airflow-worker", "airflow-dag-processor"):
        mounts = {v.split(":")[0]: v.split(":")[1] for v in SERVICES[name]["volumes"]}
        for folder in ("./dags", "./dbt_project", "./expectations", "./bcd35", "./seeds"):
            assert folder in mounts, (name, folder)
            assert (REPO / folder).is_dir()
        env = _env(SERVICES[name])
        assert mounts["./dags"] == env["AIRFLOW__CORE__DAGS_FOLDER"]
        assert VAR.fullmatch(env["BCD35_WAREHOUSE"]).group(1) == "BCD35_WAREHOUSE"
        assert env["PYTHONPATH"] == str(Path(mounts["./bcd35"]).parent)


def _commands() -> dict[str, list[str]]:
    """Every command the compose file runs (services and health checks), as argv lists."""
    out = {}
    for name, service in SERVICES.items():
        command = service.get("command")
        if isinstance(command, list) and command[:2] == ["bash", "-c"]:
            for i, part in enumerate(command[2].split("&&")):
                out[f"{name} #{i}"] = _split(part)
        elif isinstance(command, list) and command[:2] != ["sh", "-c"]:
            out[name] = command
        test = (service.get("healthcheck") or {}).get("test") or []
        if test[:1] == ["CMD"]:
            out[f"{name} healthcheck"] = test[1:]
        elif test[:1] == ["CMD-SHELL"]:
            out[f"{name} healthcheck"] = _split(test[1].split("|")[0])
    return out


def _split(text: str) -> list[str]:
    import shlex

    return shlex.split(text.replace("$${HOSTNAME}", "host"))


# programs of the postgres, redis and apache/airflow images, not of this machine
IMAGE_PROGRAMS = {"pg_isready", "redis-cli", "curl", "redis-server", "mkdir", "chown"}


def test_the_commands_it_runs_exist():
    """Airflow CLI commands parse with this Airflow (with the Celery executor configured);
    python modules import; other programs are those of the images."""
    commands = _commands()
    airflow_argvs, modules = [], []
    for name, argv in commands.items():
        program = argv[0]
        if program == "airflow":
            airflow_argvs.append(argv[1:])
        elif program == "python":
            assert argv[1] == "-m", name
            modules.append(argv[2])
        elif program == "celery":
            assert argv[1:3] == ["--app", "airflow.providers.celery.executors.celery_executor.app"]
            modules.append("airflow.providers.celery.executors.celery_executor")
            assert Path(sys.executable).with_name("celery").exists()
        else:
            assert program in IMAGE_PROGRAMS, f"{name}: unknown program {program}"
    assert len(airflow_argvs) >= 7
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(AIRFLOW__CORE__EXECUTOR="CeleryExecutor", AIRFLOW__CORE__LOAD_EXAMPLES="False",
               PYTHONPATH=str(REPO))
    script = (
        "import json, sys, importlib\n"
        "from airflow.cli import cli_parser\n"
        "parser = cli_parser.get_parser()\n"
        "bad = []\n"
        "for argv in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        args = parser.parse_args(argv)\n"
        "        assert callable(args.func)\n"
        "    except (SystemExit, AssertionError) as exc:\n"
        "        bad.append([argv, repr(exc)])\n"
        "for module in json.loads(sys.argv[2]):\n"
        "    try:\n"
        "        importlib.import_module(module)\n"
        "    except Exception as exc:\n"
        "        bad.append([module, repr(exc)])\n"
        "print(json.dumps(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(airflow_argvs),
                           json.dumps(modules)], env=env, capture_output=True, text=True,
                          timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_airflow_settings_are_real_options():
    """Every AIRFLOW__SECTION__KEY of the file is an option this Airflow knows (a typo would
    be ignored silently)."""
    from airflow.configuration import conf

    known = conf.configuration_description  # core and providers (celery) options
    keys = {k for s in SERVICES.values() for k in _env(s) if k.startswith("AIRFLOW__")}
    unknown = []
    for key in sorted(keys):
        _, section, option = (part.lower() for part in key.split("__", 2))
        if option not in known.get(section, {}).get("options", {}):
            unknown.append(key)
    assert unknown == []


@pytest.mark.parametrize("service", ["airflow-apiserver", "airflow-worker"])
def test_the_execution_api_and_broker_point_at_the_services(service):
    env = _env(SERVICES[service])
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].startswith("http://airflow-apiserver:")
    assert "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"]
    assert "@postgres:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_generated_secrets_fill_every_variable_of_the_example(tmp_path):
    from deploy.secrets import Secrets, write_env_file

    env = tmp_path / ".env"
    write_env_file(env, Secrets.generate())
    assert env.stat().st_mode & 0o777 == 0o600
    generated = dict(line.split("=", 1) for line in env.read_text().splitlines())
    example = [line.split("=", 1)[0] for line in
               (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    secrets = [name for name in example if SECRET_WORDS.search(name)]
    assert set(secrets) == set(generated)
    assert all(re.fullmatch(r"[A-Za-z0-9_=-]{32,}", value) for value in generated.values())
    assert len(set(generated.values())) == len(generated)  # no value reused


# --- the Airflow settings are bcd35.airflow_env's distributed shape ---------------------------
# The compose file is one caller of the builder (docs/development.md#airflow-environments):
# it gives its service names, ports and container paths, and its secrets as ${VAR:?}; every
# other value of x-airflow-common must be the one bcd35.airflow_env builds (and the one
# `make test-distributed` runs with).

COMMON_SERVICES = ["bcd35-init", *AIRFLOW_SERVICES]  # those built on x-airflow-common


def _placeholder_secrets():
    """deploy.secrets.Secrets whose every value is ``<VAR>``, VAR its variable in .env."""
    from dataclasses import fields

    from deploy.secrets import Secrets, env_lines

    names = [f.name for f in fields(Secrets) if f.name != "airflow_passwords"]
    variables = {value: var for var, value in env_lines(Secrets(
        **{name: name for name in names}, airflow_passwords={})).items()}
    return Secrets(**{name: f"<{variables[name]}>" for name in names}, airflow_passwords={})


def _resolved(value: str) -> str:
    """A compose value as the builder would write it: a required ``${VAR:?…}`` is ``<VAR>``
    (compared by name), an optional ``${VAR:-default}`` is its default."""
    def one(m: re.Match) -> str:
        op = m.group(2) or ""
        return op.split("-", 1)[1] if op.startswith((":-", "-")) else f"<{m.group(1)}>"

    return VAR.sub(one, value)


def _mounts(volumes: list[str]) -> dict[str, str]:
    return {v.split(":")[0]: v.split(":")[1] for v in volumes}


def _compose_shape(compose: dict):
    """The distributed shape as the compose file places it: service names, the ports the
    services listen on, the container paths of its mounts."""
    from bcd35.airflow_env import Distributed, Endpoint
    from deploy.secrets import AIRFLOW_USERS

    services, common = compose["services"], compose["x-airflow-common"]
    mounts = _mounts(common["volumes"])
    api = services["airflow-apiserver"]
    api_port = int(api["command"][api["command"].index("--port") + 1])
    [pg_port] = {int(str(p).rsplit(":", 1)[1]) for p in services["postgres"]["ports"]}
    [redis_port] = {int(p) for p in services["redis"]["expose"]}
    [health] = [t for t in services["airflow-scheduler"]["healthcheck"]["test"] if "://" in t]
    secrets_dir = _mounts(api["volumes"])["airflow-secrets"]
    passwords_name = Path(_env(common)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).name
    return Distributed(
        postgres=Endpoint("postgres", pg_port),
        redis=Endpoint("redis", redis_port),
        api_server=Endpoint("airflow-apiserver", api_port),
        secrets=_placeholder_secrets(),
        users=AIRFLOW_USERS,
        passwords_file=str(Path(secrets_dir) / passwords_name),
        dags_folder=mounts["./dags"],
        pythonpath=str(Path(mounts["./bcd35"]).parent),
        bcd35_home=mounts["bcd35-home"],
        scheduler_health_port=int(re.search(r":(\d+)/", health).group(1)),
    )


def airflow_env_drift(compose: dict) -> list[str]:
    """Where the compose file's Airflow environment differs from bcd35.airflow_env's."""
    from bcd35.airflow_env import airflow_env

    expected = airflow_env(_compose_shape(compose))
    common = _env(compose["x-airflow-common"])
    drift = []
    for key in sorted(expected.keys() | common.keys()):
        if key not in common:
            drift.append(f"{key}: missing (bcd35.airflow_env: {expected[key]!r})")
        elif key not in expected:
            # the operator's own bcd35 setting passed through, e.g. BCD35_COMMITTEE
            if not re.fullmatch(rf"\$\{{{key}:-[^}}]*\}}", common[key]):
                drift.append(f"{key}: not set by bcd35.airflow_env ({common[key]!r})")
        elif _resolved(common[key]) != expected[key]:
            drift.append(f"{key}: {_resolved(common[key])!r} in docker-compose.yml, "
                         f"{expected[key]!r} from bcd35.airflow_env")
    for name in COMMON_SERVICES:  # services add to the common environment, never change it
        env = _env(compose["services"][name])
        drift.extend(f"{name}: {key} overrides x-airflow-common" for key in common
                     if env.get(key) != common[key])
    return drift


def test_the_airflow_environment_is_the_builders_distributed_shape():
    assert airflow_env_drift(COMPOSE) == []


@pytest.mark.parametrize(("old", "new", "named"), [
    ('AIRFLOW__CORE__PARALLELISM: "8"', 'AIRFLOW__CORE__PARALLELISM: "16"',
     "AIRFLOW__CORE__PARALLELISM"),
    ("AIRFLOW__API_AUTH__JWT_SECRET: ${AIRFLOW_JWT_SECRET:",
     "AIRFLOW__API_AUTH__JWT_SECRET: ${AIRFLOW_API_SECRET_KEY:", "AIRFLOW__API_AUTH__JWT_SECRET"),
    ("@postgres:5432/airflow\n    AIRFLOW__CELERY__BROKER",
     "@postgres:5432/bcd35\n    AIRFLOW__CELERY__BROKER", "AIRFLOW__CELERY__RESULT_BACKEND"),
    ('    AIRFLOW__CELERY__WORKER_CONCURRENCY: "2"\n', "", "AIRFLOW__CELERY__WORKER_CONCURRENCY"),
    ('    GX_ANALYTICS_ENABLED: "False"\n',
     '    GX_ANALYTICS_ENABLED: "False"\n    AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG: "4"\n',
     "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG"),
    # the api-server moved to another port: the workers' execution API URL no longer reaches it
    ('"api-server", "--port", "8080"', '"api-server", "--port", "8081"',
     "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"),
    ('      DUMB_INIT_SETSID: "0"\n',
     '      DUMB_INIT_SETSID: "0"\n      AIRFLOW__CORE__EXECUTOR: LocalExecutor\n',
     "airflow-worker: AIRFLOW__CORE__EXECUTOR"),
])
def test_a_planted_drift_of_the_compose_file_is_named(tmp_path, old, new, named):
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    planted = tmp_path / "docker-compose.yml"
    planted.write_text(text.replace(old, new), encoding="utf-8")
    drift = airflow_env_drift(yaml.safe_load(planted.read_text(encoding="utf-8")))
    assert [line for line in drift if line.startswith(named)] == drift != [], drift


def test_a_planted_drift_of_the_builder_is_named(monkeypatch):
    from bcd35 import airflow_env

    monkeypatch.setattr(airflow_env, "WORKER_CONCURRENCY", 3)
    assert airflow_env_drift(COMPOSE) == [
        "AIRFLOW__CELERY__WORKER_CONCURRENCY: '2' in docker-compose.yml, '3' from "
        "bcd35.airflow_env"]
