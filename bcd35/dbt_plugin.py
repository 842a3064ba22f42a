"""dbt-duckdb plugin: registers the keyed-hash pseudonymisation function on each connection.

Configured in ``dbt_project/profiles.yml``. The key comes from ``$BCD35_PSEUDONYM_KEY``, which
``bcd35.warehouse.dbt`` sets from the home's configuration for the dbt process only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import lru_cache

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from bcd35.config import PSEUDONYM_KEY_ENV

PSEUDONYM_PREFIX = "p_"


def pseudonym(key: bytes, normalised_name: str) -> str:
    """HMAC-SHA256 of the normalised name, shortened to 16 hex digits (64 bits)."""
    digest = hmac.new(key, normalised_name.encode("utf-8"), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:16]


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        key = os.environ.get(PSEUDONYM_KEY_ENV)
        if not key:
            raise RuntimeError(
                f"{PSEUDONYM_KEY_ENV} is not set: run dbt through `bcd35 run` (bcd35.warehouse), "
                "which reads the key from the home's configuration."
            )
        key_bytes = key.encode()

        @lru_cache(maxsize=1 << 17)  # a collaborator shares hundreds of times: hash once
        def keyed(name: str) -> str:
            return pseudonym(key_bytes, name)

        conn.create_function(
            "bcd35_pseudonym",
            keyed,
            ["VARCHAR"],
            "VARCHAR",
            side_effects=False,
        )
