"""Every ``BCD35_*`` setting, read in one place, typed, with its default and meaning.

``settings()`` reads the environment when it is called (not at import: a test or a command
may set a variable before a stage runs) and returns a frozen ``Settings``. ``bcd35 config``
prints the effective values, secrets masked; ``docs/settings.md`` is the same table, and a
test keeps the two equal.

Variables that bcd35 sets for its own children (the dbt project reads them through
``env_var()``) are not settings: they are listed in ``CHILD_ENV`` so that nobody mistakes
them for knobs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bcd35.constants import DEFAULT_COMMITTEE, TIMEZONE

PREFIX = "BCD35_"

#: Set by bcd35 for the dbt process it starts (read by dbt_project through ``env_var()``) and
#: for its own children; never to be set by hand.
CHILD_ENV = (
    "BCD35_CANDIDATE_PATH",     # the DuckDB file dbt builds into
    "BCD35_RAW_DIR",            # the raw layer dbt reads
    "BCD35_RAW_CHANGES",        # an incremental build's change list (bcd35.warehouse.incremental)
    "BCD35_COMMITTEES_CSV",     # the home's committees, for dbt's reference models
    "BCD35_KPI_TARGETS_CSV",    # the office's KPI targets (HOME/reference), for dbt
    "BCD35_PAGES_CSV",          # the office's page list (HOME/reference), for dbt
    "BCD35_WRITER_LOCK_HOLDER",  # the pid of the process holding the home's writer lock
    "BCD35_EXIT_ON_STOP",       # a stage run by `bcd35 run` exits on SIGTERM instead of raising
)


class Settings(BaseSettings):
    """The operator's settings. Each field is the variable ``BCD35_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore",
                                      case_sensitive=False)

    # --- the home and what it holds -----------------------------------------------------
    home: Path | None = Field(
        None, description="The home directory (inbox, originals, warehouse, exports); "
        "`--home` wins over it; without either, `./var`.")
    committee: str = Field(
        DEFAULT_COMMITTEE, description="The committee whose files the inbox holds by default.")
    timezone: str = Field(
        TIMEZONE, description="The time zone of dates without one (Meta's export times).")
    pseudonym_key: SecretStr | None = Field(
        None, description="Key of the keyed hash that pseudonymises personal names; "
        "without it, one is generated once into HOME/secrets (mode 0600).")

    # --- the warehouse --------------------------------------------------------------------
    warehouse: Literal["duckdb", "postgres"] = Field(
        "duckdb", description="The warehouse engine: `duckdb` (embedded, the default) or "
        "`postgres` (production).")
    pg_host: str = Field("127.0.0.1", description="PostgreSQL host (`warehouse=postgres`).")
    pg_port: int = Field(5432, description="PostgreSQL port.")
    pg_user: str = Field("postgres", description="PostgreSQL role that builds the warehouse.")
    pg_password: SecretStr | None = Field(None, description="That role's password.")
    pg_database: str = Field("bcd35", description="PostgreSQL database of the warehouse.")
    pg_lock_timeout: str = Field(
        "2s", description="How long a publish waits for an analyst's lock per attempt.")
    pg_swap_attempts: int = Field(
        12, description="How many times a publish tries the schema swap before it fails.")
    warehouse_password: SecretStr | None = Field(
        None, description="Password of the builder role, for `provision` (production).")
    analyst_password: SecretStr | None = Field(
        None, description="Password of the read-only analyst role, for `provision`.")

    # --- resources --------------------------------------------------------------------------
    duckdb_memory_limit: str = Field(
        "2GB", description="DuckDB's memory limit in the build (dbt), e.g. `4GB`.")
    duckdb_threads: int | None = Field(
        None, description="DuckDB threads in the build; default: the CPUs.")
    dbt_threads: int | None = Field(
        None, description="dbt threads (models built at once); default: the CPUs.")
    ingest_workers: int | None = Field(
        None, description="Processes that parse inbox files; default: one per CPU, at most 4.")
    columnar_ingest: bool = Field(
        True, description="Parse clean files column by column (`0`: every file row by row, "
        "to compare the two).")

    # --- the night's choices ------------------------------------------------------------------
    force_build: bool = Field(
        False, description="Build even when nothing changed since the published build.")
    accept_withdrawals: bool = Field(
        False, description="Withdraw loaded files gone from the inbox even when more than "
        "the guard allows (what `bcd35 run --accept-withdrawals` sets).")

    # --- the clerks and the operator ----------------------------------------------------------
    alert_urls: SecretStr | None = Field(
        None, description="Apprise URLs for alerts (mailto://, tgram://, …), separated by "
        "spaces or commas; alerts are off without it. Secret: URLs carry passwords.")
    upload_max_bytes: int = Field(
        10 * 1024 * 1024, description="Largest file the upload page accepts, in bytes.")

    # --- tests only ---------------------------------------------------------------------------
    failpoint: str | None = Field(
        None, description="Tests only: the named point where a stage stops and waits.")
    failpoint_dir: Path | None = Field(
        None, description="Tests only: where a failpoint signals and waits (FIFOs).")

    @field_validator("failpoint", "duckdb_threads", "dbt_threads", "ingest_workers",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value):
        """``BCD35_X=`` (set, but empty) means unset, as the code before it read it."""
        return None if isinstance(value, str) and not value.strip() else value

    def secret(self, name: str) -> str | None:
        """The plain value of a secret setting (None when unset)."""
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None


def settings() -> Settings:
    """The settings as the environment says now."""
    return Settings()


def env_name(field: str) -> str:
    return f"{PREFIX}{field.upper()}"


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return "********"
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _default(field) -> str:
    return _shown(field.default)


def effective(current: Settings | None = None) -> list[tuple[str, str, str, str]]:
    """(variable, effective value with secrets masked, default, where it came from)."""
    current = current or settings()
    given = current.model_fields_set
    rows = []
    for name, field in Settings.model_fields.items():
        source = "environment" if name in given else "default"
        rows.append((env_name(name), _shown(getattr(current, name)), _default(field), source))
    return rows


def markdown_table() -> str:
    """The docs' table of settings, generated from the model (a test compares)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = _default(field)
        lines.append(f"| `{env_name(name)}` | {f'`{default}`' if default else '—'} | "
                     f"{field.description} |")
    return "\n".join(lines) + "\n"


def render(current: Settings | None = None) -> str:
    """What `bcd35 config` prints."""
    rows = effective(current)
    width = max(len(r[0]) for r in rows)
    out = [f"{'variable'.ljust(width)}  value  (source)"]
    for variable, value, _default_value, source in rows:
        out.append(f"{variable.ljust(width)}  {value or '—'}  ({source})")
    return "\n".join(out) + "\n"
