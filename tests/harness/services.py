"""Start the services of the distributed deployment as OS processes on loopback.

What ``docker-compose.yml`` runs as containers, run here as plain processes (Docker does not
run on our machines): PostgreSQL (metadata + warehouse), Redis (Celery broker), and the
Airflow components. Every service listens on 127.0.0.1 on a free port; readiness is polled
(``pg_isready``, ``redis-cli ping``, HTTP health endpoints) against a deadline, never a fixed
sleep; every process started is recorded by PID and stopped by PID (``Processes.stop_all``),
also when start-up fails half-way.

PostgreSQL refuses to run as root: when we are root, ``initdb``/``pg_ctl`` run as the
``postgres`` user (``runuser``) on a data directory it owns, with its socket in a private
temporary directory.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


class StartupFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, n: int = 40) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(lines[-n:])


def wait_until(check: Callable[[], bool], what: str, timeout: float,
               alive: Callable[[], str | None] | None = None, interval: float = 0.25) -> float:
    """Poll ``check`` until it returns True; returns the seconds it took.

    ``alive`` returns a reason when the thing being waited for has died (then waiting stops
    at once instead of running into the deadline)."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - started
        if alive is not None and (reason := alive()):
            raise StartupFailed(f"{what}: {reason}")
        if time.monotonic() > deadline:
            raise StartupFailed(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)


# --- processes ------------------------------------------------------------------------------

@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def died(self) -> str | None:
        code = self.popen.poll()
        if code is None:
            return None
        return f"process {self.name} (pid {self.pid}) exited with {code}:\n{tail(self.log)}"


@dataclass
class Processes:
    """Every process we started, by PID; stopped in reverse order of start."""

    logs: Path
    procs: list[Proc] = field(default_factory=list)
    started_pids: list[int] = field(default_factory=list)  # every PID, also after stop

    def start(self, name: str, argv: list[str], env: dict[str, str],
              cwd: Path | None = None) -> Proc:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)  # own process group = its PID
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        self.started_pids.append(popen.pid)
        return proc

    def stop(self, proc: Proc, timeout: float = 20) -> None:
        """SIGTERM to the PID, wait, then SIGKILL to the process group led by that PID
        (a Celery worker's pool children and task processes are in it)."""
        if proc.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(5)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)
        self.procs.clear()

    def alive(self) -> list[Proc]:
        return [p for p in self.procs if p.popen.poll() is None]


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    return True


def group_members(pgid: int) -> list[int]:
    """PIDs whose process group is ``pgid`` (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


# --- PostgreSQL -----------------------------------------------------------------------------

def pg_bindir() -> Path | None:
    """The server binaries, PostgreSQL 15 preferred (Debian: /usr/lib/postgresql/15/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: (not p.startswith("/usr/lib/postgresql/15/"), p))
    for path in (*found, shutil.which("initdb") or ""):
        if path and Path(path).exists():
            return Path(os.path.realpath(path)).parent
    return None


def _server_user() -> tuple[list[str], int | None, int | None]:
    """(command prefix, uid, gid) to run the server as: ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as exc:
        raise StartupFailed("running as root and there is no 'postgres' user to run "
                            "PostgreSQL as (apt-get install postgresql-15 creates it)") from exc
    runuser = shutil.which("runuser")
    if not runuser:
        raise StartupFailed("running as root and runuser is missing (util-linux)")
    return [runuser, "-u", "postgres", "--"], entry.pw_uid, entry.pw_gid


def _make_traversable(directory: Path) -> None:
    """Let the server user reach its directory: add search (x, not read) permission for
    others on our own ancestors that lack it (a ``mkdtemp`` directory is 0700)."""
    import stat

    for parent in (directory, *directory.parents):
        info = parent.stat()
        if info.st_uid == os.geteuid() and not info.st_mode & stat.S_IXOTH:
            os.chmod(parent, stat.S_IMODE(info.st_mode) | stat.S_IXOTH)


@dataclass
class Postgres:
    """One PostgreSQL cluster in ``root``: password (scram) authentication on 127.0.0.1,
    trust only on its private unix socket (set-up as the superuser)."""

    root: Path
    port: int
    superuser_password: str
    bindir: Path
    prefix: list[str]
    pid: int | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @classmethod
    def init(cls, root: Path, superuser_password: str) -> Postgres:
        bindir = pg_bindir()
        if bindir is None:
            raise StartupFailed("PostgreSQL server binaries not found "
                                "(apt-get install postgresql-15)")
        prefix, uid, gid = _server_user()
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        if uid is not None:
            os.chown(root, uid, gid)
            _make_traversable(root.parent)
        pwfile = root / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(superuser_password + "\n")
        if uid is not None:
            os.chown(pwfile, uid, gid)
        pg = cls(root=root, port=free_port(), superuser_password=superuser_password,
                 bindir=bindir, prefix=prefix)
        try:
            proc = subprocess.run(
                [*prefix, str(bindir / "initdb"), "-D", str(pg.data), "-U", "postgres",
                 f"--pwfile={pwfile}", "--auth-local=trust", "--auth-host=scram-sha-256",
                 "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                capture_output=True, text=True, check=False)
        finally:
            pwfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise StartupFailed(f"initdb failed:\n{proc.stdout}\n{proc.stderr}")
        return pg

    def start(self, timeout: float = 60) -> float:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200 -c shared_buffers=128MB")
        proc = subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
             "-l", str(self.log), "-W", "start"], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise StartupFailed(f"pg_ctl start failed:\n{proc.stderr}\n{tail(self.log)}")
        pidfile = self.data / "postmaster.pid"
        wait_until(pidfile.exists, "postgres pid file", timeout)
        self.pid = int(pidfile.read_text().split()[0])
        return wait_until(self.is_ready, "postgres (pg_isready)", timeout, alive=self._died)

    def _died(self) -> str | None:
        if self.pid is None:
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return f"postgres exited:\n{tail(self.log)}"
        return None

    def is_ready(self) -> bool:
        return subprocess.run([str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p",
                               str(self.port), "-t", "2"],
                              capture_output=True, check=False).returncode == 0

    def connect_admin(self, database: str = "postgres"):
        """The superuser over the private unix socket (set-up only)."""
        import psycopg2

        conn = psycopg2.connect(host=str(self.root), port=self.port, user="postgres",
                                dbname=database)
        conn.autocommit = True
        return conn

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data),
                            "-m", "fast", "-w", "-t", "30", "stop"],
                           capture_output=True, check=False)
        if self.pid is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                return
            with contextlib.suppress(StartupFailed):
                wait_until(self._gone, "postgres stop", 10)
                return

    def _gone(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        return False


# --- Redis ----------------------------------------------------------------------------------

def redis_server() -> Path | None:
    found = shutil.which("redis-server")
    return Path(found) if found else None


@dataclass
class Redis:
    root: Path
    port: int
    password: str
    proc: Proc | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{db}"

    @classmethod
    def start(cls, root: Path, password: str, processes: Processes,
              timeout: float = 30) -> tuple[Redis, float]:
        server = redis_server()
        if server is None:
            raise StartupFailed("redis-server not found (apt-get install redis-server)")
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        redis = cls(root=root, port=free_port(), password=password)
        conf = root / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:  # the password in a 0600 file, not on the command line
            fh.write(f"bind 127.0.0.1\nport {redis.port}\nprotected-mode yes\n"
                     f"requirepass {password}\ndir {root}\nsave \"\"\nappendonly no\n"
                     "daemonize no\n")
        redis.proc = processes.start("redis", [str(server), str(conf)], env=dict(os.environ))
        took = wait_until(redis.ping, "redis (redis-cli ping)", timeout, alive=redis.proc.died)
        return redis, took

    def ping(self) -> bool:
        cli = shutil.which("redis-cli")
        env = {**os.environ, "REDISCLI_AUTH": self.password}
        if cli:
            out = subprocess.run([cli, "-h", "127.0.0.1", "-p", str(self.port), "ping"],
                                 env=env, capture_output=True, text=True, timeout=5)
            return out.stdout.strip() == "PONG"
        import redis as redis_client  # the Celery transport's client

        return bool(redis_client.Redis(host="127.0.0.1", port=self.port,
                                       password=self.password, socket_timeout=2).ping())


# --- HTTP -----------------------------------------------------------------------------------

def http_json(url: str, timeout: float = 5) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback only)
        return json.loads(resp.read().decode())


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 (loopback only)
            return 200 <= resp.status < 300
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def stopping(processes: Processes) -> Iterator[Processes]:
    try:
        yield processes
    finally:
        processes.stop_all()
