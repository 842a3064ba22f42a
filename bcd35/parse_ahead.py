"""dbt parsed ahead: a dbt process that parses the project while the night's first stages run,
then builds when the build stage hands it its command
(docs/performance.md#fixed-cost-of-a-small-night).

A ``dbt build`` spends its first seconds on things that do not depend on the night's data:
starting Python and importing dbt (about 1.5 s), then parsing the project (a full parse,
3.7 s, on a home's first night; reading the partial-parse file on the others). ``bcd35 run``
runs every task of the night in one process, which holds the home's writer lock for the whole
run; there :func:`start` spawns ``python -m bcd35.parse_ahead FLAGS…`` as soon as the run
begins: it parses the project with dbt's Python runner (``dbtRunner``, writing the same
``manifest.json`` and partial-parse file as a ``dbt build`` would), then waits on its standard
input for the build's command line and runs it with the manifest it parsed: the parse ran on
the other core while Airflow started and the ingest read the inbox.

The build uses it only when nothing dbt parsed can differ (:func:`take`): the same home,
target and environment, the same dbt project files, the process alive and its parse
successful. Otherwise it is stopped and the build starts ``dbt`` as always. Like the dbt
process of a build, it dies with the run (``kill -9`` included, :mod:`bcd35.children`); a
night whose build is skipped stops it (:func:`stop`).

Under an executor each task is a process of its own: the build task starts the process itself,
first thing (:meth:`bcd35.warehouse.base.Warehouse.build`), so that dbt starts and parses
while the task lists the raw layer, fingerprints its inputs and copies the published build
(docs/performance.md#fixed-cost-of-a-small-night).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bcd35.children import die_with_parent
from bcd35.fingerprint import dbt_project_hash

if TYPE_CHECKING:
    from bcd35.config import Home

log = logging.getLogger(__name__)

#: The child's exit code when its parse failed: the build starts dbt again, which says why.
PARSE_FAILED = 4


@dataclass
class _Warm:
    home: Path
    target: str
    env: dict[str, str]
    project: str  # digest of the dbt project's files when the parse began
    proc: subprocess.Popen


_warm: _Warm | None = None


#: What Airflow's task runner adds to the environment of each task (which task, which try,
#: its supervisor's socket): the parse ahead starts before the tasks and cannot have them.
#: Nothing dbt reads them (tests/e2e/test_parse_ahead.py checks the project).
TASK_CONTEXT_PREFIXES = ("AIRFLOW_CTX_", "__AIRFLOW_")


def _without_task_context(env: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(TASK_CONTEXT_PREFIXES)}


def project_digest() -> str:
    """The sha256 of the dbt project's files (what a parse reads)."""
    h = hashlib.sha256()
    dbt_project_hash(h)
    return h.hexdigest()


def start(home: Home, target: str, env: Mapping[str, str], flags: Sequence[str]) -> None:
    """Start a dbt process that parses the project with ``flags`` (the command line after the
    subcommand) in ``env``, then waits for its command. A process started before for the same
    home, target, environment and project is kept (``bcd35 run`` started it before the
    night's tasks, and its build task asks again); any other is replaced."""
    global _warm
    digest = project_digest()
    if _warm is not None and _refusal(_warm, home, target, env, digest) is None:
        return
    stop()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bcd35.parse_ahead", *flags], env=dict(env),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=partial(die_with_parent, os.getpid()))
    _warm = _Warm(home.root, target, dict(env), digest, proc)


def take(home: Home, target: str, env: Mapping[str, str]) -> subprocess.Popen | None:
    """The process started for this home, target and environment, if it may run the build:
    hand it the command with :func:`command` (``proc.communicate(command(args))``). ``None``
    (and the process stopped) when there is none or it may not: another home, target or
    environment, dbt project files changed since its parse, its parse failed."""
    global _warm
    warm, _warm = _warm, None
    if warm is None:
        return None
    refused = _refusal(warm, home, target, env, project_digest())
    if refused is not None:
        log.warning("dbt parsed ahead not used (%s): dbt starts for the build", refused)
        _end(warm.proc)
        return None
    log.info("dbt: the build runs in the process that parsed the project ahead (pid %d)",
             warm.proc.pid)
    return warm.proc


def _refusal(warm: _Warm, home: Home, target: str, env: Mapping[str, str],
             project: str) -> str | None:
    """Why the build in ``env``, of the project whose digest is ``project``, may not use
    ``warm`` (None: it may)."""
    if warm.home != home.root or warm.target != target:
        return f"started for {warm.home} ({warm.target})"
    ours, theirs = _without_task_context(warm.env), _without_task_context(env)
    if ours != theirs:
        changed = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
        return f"environment changed since: {', '.join(changed)}"  # names only: keys are secret
    if warm.proc.poll() is not None:
        return f"its parse ended with exit code {warm.proc.returncode}"
    if warm.project != project:
        return "the dbt project changed since its parse"
    return None


def command(args: Sequence[str]) -> str:
    """What :func:`take`'s process reads: the dbt command line (subcommand first)."""
    return json.dumps(list(args)) + "\n"


def stop() -> None:
    """Stop the process started and not taken, if any (the night needed no build)."""
    global _warm
    warm, _warm = _warm, None
    if warm is not None:
        _end(warm.proc)


def _end(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def main(flags: Sequence[str]) -> int:
    """The child: parse, then run the one command read from standard input (none: exit 0).
    Exit codes as dbt's command line: 0 success, 1 a node failed, 2 an error; 4 the parse
    failed."""
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner().invoke(["parse", *flags])
    if not parsed.success:
        return PARSE_FAILED
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    args = json.loads(line)
    if not (isinstance(args, list) and all(isinstance(a, str) for a in args)):
        return 2
    result = dbtRunner(manifest=parsed.result).invoke(args)
    if result.success:
        return 0
    return 1 if result.exception is None else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
