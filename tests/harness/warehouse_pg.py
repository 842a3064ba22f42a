"""A provisioned PostgreSQL warehouse server for the tests (one per test session and worker).

The server is :class:`tests.harness.services.Postgres` (the distributed harness's, on a free
loopback port, password authentication); it is provisioned as production is
(:func:`bcd35.warehouse.postgres.provision_warehouse`: the builder and the read-only analyst
roles), and each test home gets a database of its own (:meth:`PgServer.database`), so homes
never share published schemas.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bcd35.constants import ANALYST_ROLE, BUILDER_ROLE
from bcd35.warehouse.postgres import PgTarget, PostgresWarehouse, provision_warehouse
from tests.harness.services import Postgres


@dataclass
class PgServer:
    pg: Postgres
    builder_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    analyst_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @classmethod
    def start(cls, root: Path) -> PgServer:
        pg = Postgres.init(root, secrets.token_urlsafe(16))
        pg.start()
        server = cls(pg)
        provision_warehouse(pg.connect_admin, server.builder_password, server.analyst_password)
        return server

    def stop(self) -> None:
        self.pg.stop()

    def database(self, name: str) -> dict[str, str]:
        """A new warehouse database ``name`` (as provisioned: owned by the builder, pgcrypto,
        connect for the analyst); the settings of a home that builds into it."""
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
            raise ValueError(name)
        with contextlib.closing(self.pg.connect_admin()) as conn, conn.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        provision_warehouse(self.pg.connect_admin, self.builder_password,
                            self.analyst_password, database=name)
        return {"BCD35_WAREHOUSE": "postgres", "BCD35_PG_HOST": "127.0.0.1",
                "BCD35_PG_PORT": str(self.pg.port), "BCD35_PG_USER": BUILDER_ROLE,
                "BCD35_PG_PASSWORD": self.builder_password, "BCD35_PG_DATABASE": name,
                "BCD35_ANALYST_PASSWORD": self.analyst_password}

    def target(self, database: str, *, analyst: bool = False) -> PgTarget:
        if analyst:
            return PgTarget("127.0.0.1", self.pg.port, ANALYST_ROLE, self.analyst_password,
                            database)
        return PgTarget("127.0.0.1", self.pg.port, BUILDER_ROLE, self.builder_password,
                        database)

    def warehouse(self, database: str) -> PostgresWarehouse:
        return PostgresWarehouse(self.target(database))
