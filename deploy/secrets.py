"""Generated credentials of a deployment: never committed, never on a command line.

``Secrets.generate()`` makes a fresh set (what ``.env.example`` asks an operator to fill in);
``write_env_file`` writes them as a ``.env`` file (mode 0600) for docker compose
(``python -m deploy.secrets .env``), and ``write_passwords_file`` writes the Airflow
simple auth manager's passwords file (JSON ``{user: password}``, 0600) — the compose file's
``bcd35-init`` writes it from the ``AIRFLOW_PASSWORD_<USER>`` variables.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

# Airflow users of the simple auth manager: name → role (viewer < user < op < admin).
# ``bcd35_ops`` triggers and watches runs (role user: DAGs and runs, nothing else);
# ``admin`` is for the operator; ``bcd35_viewer`` only reads.
AIRFLOW_USERS: dict[str, str] = {"admin": "admin", "bcd35_ops": "user",
                                 "bcd35_viewer": "viewer"}


def token() -> str:
    """A password: 32 random bytes, URL-safe (no quoting problems in URLs or YAML)."""
    return secrets.token_urlsafe(32)


def fernet_key() -> str:
    """A Fernet key as Airflow expects it (32 random bytes, URL-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Secrets:
    postgres_password: str       # the PostgreSQL superuser (set-up only)
    airflow_db_password: str     # role airflow: Airflow metadata + Celery result backend
    warehouse_password: str      # role bcd35_builder: owns the warehouse, runs dbt
    analyst_password: str        # role bcd35_analyst: reads the published schemas only
    redis_password: str
    fernet_key: str
    jwt_secret: str
    api_secret_key: str
    pseudonym_key: str
    airflow_passwords: dict[str, str]

    @classmethod
    def generate(cls) -> Secrets:
        return cls(
            postgres_password=token(), airflow_db_password=token(),
            warehouse_password=token(), analyst_password=token(), redis_password=token(),
            fernet_key=fernet_key(), jwt_secret=token(), api_secret_key=token(),
            pseudonym_key=secrets.token_hex(32),
            airflow_passwords={user: token() for user in AIRFLOW_USERS},
        )

    def values(self) -> list[str]:
        """Every secret value (to check that none leaks into a log or a file)."""
        out: list[str] = []
        for value in asdict(self).values():
            out.extend(value.values() if isinstance(value, dict) else [value])
        return out


def _write_private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path


def write_passwords_file(path: Path, s: Secrets) -> Path:
    """The file ``[core] simple_auth_manager_passwords_file`` points at (mode 0600)."""
    return _write_private(path, json.dumps(s.airflow_passwords) + "\n")


def users_setting() -> str:
    """``[core] simple_auth_manager_users``: ``user:role,…``."""
    return ",".join(f"{user}:{role}" for user, role in AIRFLOW_USERS.items())


def password_variable(user: str) -> str:
    """The .env variable of an Airflow user's password: ``AIRFLOW_PASSWORD_BCD35_OPS``."""
    return f"AIRFLOW_PASSWORD_{user.upper()}"


def passwords_from_env(env: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if env is None else env)
    missing = [password_variable(u) for u in AIRFLOW_USERS if not env.get(password_variable(u))]
    if missing:
        raise SystemExit(f"not set: {', '.join(missing)} (see .env.example)")
    return {user: env[password_variable(user)] for user in AIRFLOW_USERS}


def env_lines(s: Secrets) -> dict[str, str]:
    """The variables of ``.env.example`` with generated values."""
    lines = {
        "POSTGRES_PASSWORD": s.postgres_password,
        "AIRFLOW_DB_PASSWORD": s.airflow_db_password,
        "BCD35_WAREHOUSE_PASSWORD": s.warehouse_password,
        "BCD35_ANALYST_PASSWORD": s.analyst_password,
        "REDIS_PASSWORD": s.redis_password,
        "AIRFLOW_FERNET_KEY": s.fernet_key,
        "AIRFLOW_JWT_SECRET": s.jwt_secret,
        "AIRFLOW_API_SECRET_KEY": s.api_secret_key,
        "BCD35_PSEUDONYM_KEY": s.pseudonym_key,
    }
    lines.update({password_variable(u): p for u, p in s.airflow_passwords.items()})
    return lines


def write_env_file(path: Path, s: Secrets) -> Path:
    """A ``.env`` for docker compose (mode 0600)."""
    return _write_private(path, "".join(f"{k}={v}\n" for k, v in env_lines(s).items()))


def main() -> int:
    """``python -m deploy.secrets [.env]``: generate a deployment's secrets."""
    import sys

    env_path = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    if env_path.exists():
        print(f"{env_path} exists: not overwriting it", file=sys.stderr)
        return 1
    write_env_file(env_path, Secrets.generate())
    print(f"wrote {env_path} (mode 0600): keep it out of git and backups you share")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
