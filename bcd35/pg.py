"""Where the PostgreSQL warehouse is: host, port, role, password and database, from the
settings (``BCD35_PG_*``, docs/settings.md). A light module: the warehouse engine, its audit
and the analysts' shell all connect through it."""

from __future__ import annotations

from dataclasses import dataclass

from bcd35.settings import settings


@dataclass(frozen=True)
class PgTarget:
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    database: str = "bcd35"

    @classmethod
    def from_env(cls) -> PgTarget:
        s = settings()
        return cls(host=s.pg_host, port=s.pg_port, user=s.pg_user,
                   password=s.secret("pg_password") or "", database=s.pg_database)

    def env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads for the ``postgres`` output."""
        return {"BCD35_PG_HOST": self.host, "BCD35_PG_PORT": str(self.port),
                "BCD35_PG_USER": self.user, "BCD35_PG_PASSWORD": self.password,
                "BCD35_PG_DATABASE": self.database}

    def connect(self, **kwargs):
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                password=self.password, dbname=self.database, **kwargs)
