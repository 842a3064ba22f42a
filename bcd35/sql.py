"""The analysts' side of the warehouse: a read-only SQL shell and the dbt docs site.

``open_shell(home)`` starts the DuckDB command-line shell (the ``duckdb`` CLI of the
environment, same version and storage format as the library) on the published warehouse:

- read-only (``-readonly``): the session takes a shared lock on the build it opened. The
  nightly run never writes that file — it builds a new candidate file and publishes it by
  switching the ``warehouse/bcd35.duckdb`` symlink — so an open session never blocks a
  night, and a night never breaks a session: the session keeps the build it opened until
  the analyst reconnects (``.exit`` and ``make sql`` again), even after newer publishes.
- external file access disabled (``SET enable_external_access = false``): no read_csv,
  COPY, ATTACH or extension loading; the shell's safe mode then locks the configuration
  (``lock_configuration = true``, so the setting cannot be switched back) and refuses the
  dot commands that touch files or run programs (``.shell``, ``.system``, ``.open``, …).
- no ``~/.duckdbrc`` (``-no-init``): nothing runs before the lock.

``build_docs(home)`` / ``serve_docs(home)`` generate the dbt docs site (lineage, model and
column descriptions, the catalog of the published build) and serve it on localhost.

Commands: ``make sql`` / ``make docs`` (or ``python -m bcd35.sql shell|docs --home DIR``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bcd35.config import Home, committee_code, resolve_home
from bcd35.constants import ANALYST_ROLE
from bcd35.ingest import ensure_raw_schemas
from bcd35.settings import settings
from bcd35.warehouse.dbt import dbt_command
from bcd35.warehouse.duckdb import DuckDBWarehouse

SHELL_SETUP: tuple[str, ...] = (
    "SET enable_external_access = false;",
    # safe mode locks the configuration (lock_configuration = true) and disables the dot
    # commands that open files or run programs; it must come after the SET above
    ".safe_mode",
)
DOCS_PORT = 8080


class NoPublishedWarehouse(RuntimeError):
    pass


def duckdb_cli() -> Path:
    """The ``duckdb`` CLI installed next to this Python (package duckdb-cli), else on PATH."""
    here = Path(sys.executable).with_name("duckdb")
    if here.exists():
        return here
    found = shutil.which("duckdb")
    if not found:
        raise FileNotFoundError("the duckdb command-line shell is not installed (duckdb-cli)")
    return Path(found)


def published_warehouse(home: Home) -> Path:
    """The path analysts open: the ``warehouse/bcd35.duckdb`` symlink to the last good build."""
    path = home.published
    if not path.exists():
        raise NoPublishedWarehouse(
            f"Chưa có kho dữ liệu nào được công bố / no warehouse published yet in {home.root}: "
            "run `bcd35 run` first.")
    return path


#: Without a terminal (piped, redirected) the shell must print plain text: no ANSI colours.
PLAIN_OUTPUT: tuple[str, ...] = (".highlight off", ".highlight_results off",
                                 ".highlight_errors off")
#: What an analyst sees first: the tables to query (marts), each with its description.
MARTS_LISTING = ("select table_name as marts_table, comment as description "
                 "from duckdb_tables() where schema_name = 'marts' order by table_name;")


def banner(path: Path) -> str:
    """The first line of a session. ``.print`` takes one argument quoted with ``'``: the text
    must hold no ``'`` (a path may: it is dropped from the path)."""
    shown = str(path).replace("'", "")
    build = path.resolve().stem.replace("'", "")
    return (f".print 'bcd35 — {shown} (build {build}), read-only. Query the marts listed below "
            "(schema marts); reference holds the lookups, audit the checks "
            "(audit.check_results) and the files (audit.source_files). Column descriptions: "
            "the comment column of duckdb_columns(). Examples: the README, section for "
            "analysts.'")


def shell_command(home: Home, extra_args: Sequence[str] = (),
                  terminal: bool | None = None) -> list[str]:
    """The DuckDB CLI command line of an analyst session (``extra_args``: output options
    such as ``-csv``, placed before the database). ``terminal``: whether the session's output
    is a terminal (default: this process's stdout); colours only then."""
    path = published_warehouse(home)
    if terminal is None:
        terminal = sys.stdout.isatty()
    args = [str(duckdb_cli()), "-readonly", "-no-init"]
    if not terminal or extra_args:
        for command in PLAIN_OUTPUT:
            args += ["-cmd", command]
    for command in SHELL_SETUP:
        args += ["-cmd", command]
    if not extra_args:
        args += ["-cmd", banner(path), "-cmd", MARTS_LISTING]
    return [*args, *extra_args, str(path)]


def psql_command(extra_args: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """``psql`` as the read-only analyst role on the PostgreSQL warehouse (the settings'
    host, port and database; the analyst's password in the child's environment only), and
    that environment. The role's sessions are read-only by default
    (docs/production.md#the-postgresql-warehouse)."""
    psql = shutil.which("psql")
    if psql is None:
        raise FileNotFoundError("psql is not installed (apt-get install postgresql-client)")
    current = settings()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(PGPASSWORD=current.secret("analyst_password") or "",
               PGAPPNAME="bcd35-analyst", PGOPTIONS="-c search_path=marts,reference,audit")
    return [psql, "-X", "-v", "ON_ERROR_STOP=1", "-h", current.pg_host, "-p",
            str(current.pg_port), "-U", ANALYST_ROLE, "-d", current.pg_database,
            *extra_args], env


def open_shell(home: Home) -> int:
    """Open an interactive analyst session on the published warehouse (DuckDB's shell on
    the embedded warehouse, psql as the analyst role on PostgreSQL); returns its exit code."""
    try:
        if settings().warehouse == "postgres":
            command, env = psql_command()
            return subprocess.call(command, env=env)
        command = shell_command(home)
    except (NoPublishedWarehouse, FileNotFoundError) as exc:
        print(exc, file=sys.stderr)
        return 2
    return subprocess.call(command)


def build_docs(home: Home) -> Path:
    """Generate the dbt docs site into ``HOME/dbt/docs``; returns that directory.

    The catalog (column types) is read from a private copy of the published build, so the
    docs never hold a lock on the file analysts and the nightly run use.
    """

    home.ensure()
    ensure_raw_schemas(home)  # dbt parses the sources' read_parquet globs
    docs_dir = home.dbt / "docs"
    docs_dir.mkdir(parents=True, exist_ok=True)
    catalog_db = docs_dir / "catalog_source.duckdb"
    catalog_db.unlink(missing_ok=True)
    try:
        shutil.copyfile(published_warehouse(home).resolve(), catalog_db)
        extra: list[str] = []
    except NoPublishedWarehouse:
        extra = ["--empty-catalog"]  # lineage and descriptions only
    command = dbt_command(home, "docs", "generate", *extra)
    command[command.index("--target-path") + 1] = str(docs_dir)
    proc = subprocess.run(command, env=DuckDBWarehouse().dbt_env(home, catalog_db,
                                                               committee_code()),
                          capture_output=True, text=True, check=False)
    catalog_db.unlink(missing_ok=True)
    if proc.returncode != 0 or not (docs_dir / "index.html").exists():
        raise RuntimeError("dbt docs generate failed:\n" + proc.stdout[-4000:])
    return docs_dir


def copy_docs(docs_dir: Path, out: Path) -> Path:
    """Copy the generated dbt docs site into ``out`` (the MkDocs site links it as ``dbt/``);
    the catalog's private copy of the warehouse is not part of it."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(docs_dir, out, ignore=shutil.ignore_patterns("*.duckdb", "*.duckdb.wal"))
    return out


def serve_docs(home: Home, port: int = DOCS_PORT, host: str = "127.0.0.1") -> int:
    """Serve the generated docs site on http://host:port (localhost only by default)."""
    return serve_directory(home.dbt / "docs", port, host, "dbt docs")


def serve_directory(directory: Path, port: int = DOCS_PORT, host: str = "127.0.0.1",
                    what: str = "docs") -> int:
    """Serve a built site on http://host:port until Ctrl-C (localhost only by default)."""

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        print(f"{what}: http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bcd35.sql", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    shell = sub.add_parser("shell", help="read-only SQL shell on the published warehouse")
    shell.add_argument("--home", help="home directory (default: $BCD35_HOME, else ./var)")
    docs = sub.add_parser("docs", help="build the dbt docs site and serve it on localhost")
    docs.add_argument("--home", help="home directory (default: $BCD35_HOME, else ./var)")
    docs.add_argument("--port", type=int, default=int(os.environ.get("DOCS_PORT", DOCS_PORT)))
    docs.add_argument("--no-serve", action="store_true", help="only build the site")
    docs.add_argument("--out", type=Path, help="also copy the built site into this directory")
    serve = sub.add_parser("serve", help="serve a built site (make docs-serve) on localhost")
    serve.add_argument("--dir", type=Path, required=True, help="the built site, e.g. site/")
    serve.add_argument("--port", type=int, default=int(os.environ.get("DOCS_PORT", DOCS_PORT)))
    args = parser.parse_args(argv)
    if args.command == "serve":
        if not (args.dir / "index.html").is_file():
            print(f"{args.dir}/index.html not found: run `make docs` first", file=sys.stderr)
            return 2
        return serve_directory(args.dir, args.port)
    home = resolve_home(args.home)
    if args.command == "shell":
        return open_shell(home)
    directory = build_docs(home)
    if args.out:
        directory = copy_docs(directory, args.out)
    print(f"dbt docs site → {directory}")
    return 0 if args.no_serve else serve_docs(home, args.port)


if __name__ == "__main__":
    sys.exit(main())
