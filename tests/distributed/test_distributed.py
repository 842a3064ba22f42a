"""The nightly DAG on Airflow's distributed engine, for real: CeleryExecutor with Redis, two
Celery workers, PostgreSQL for the metadata and the warehouse, triggered through the
authenticated REST API (docs/production.md). The tests share one cluster and run in file order."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import httpx
import psycopg2
import pytest
from psycopg2 import errors

from tests.distributed.conftest import BCD35, DAG_ID, REPO, record

EXPECTED = json.loads((REPO / "seeds/demo/expected_kpis_2024.json").read_text())
N_CONCURRENT = 20
POOL_TASKS = {"ingest", "build", "publish"}  # the tasks in the one-slot pool
KPI_SQL = ("select kpi_code, value from marts.mart_kpi_annual "
           "where committee_code = 'ham_yen' and year = 2024 order by 1")
# one more meeting, in 2025: the first of the concurrent runs finds it and rebuilds
NEW_FILE = ("\ufeffNgày;Tên hội nghị;Loại hội nghị;Đơn vị tổ chức;Xã/Thị trấn;Số đại biểu\n"
            "15/01/2025;Hội nghị thông tin thời sự trong Đảng tháng 01/2025;"
            "Thông tin thời sự;Ban Tuyên giáo Huyện ủy;Huyện;120\n")


# --- helpers --------------------------------------------------------------------------------

def connect(cluster, role: str = "builder"):
    from bcd35.warehouse.postgres import ANALYST_ROLE, BUILDER_ROLE, WAREHOUSE_DATABASE

    user, password = {"builder": (BUILDER_ROLE, cluster.secrets.warehouse_password),
                      "analyst": (ANALYST_ROLE, cluster.secrets.analyst_password)}[role]
    return psycopg2.connect(host="127.0.0.1", port=cluster.pg.port, user=user,
                            password=password, dbname=WAREHOUSE_DATABASE,
                            application_name=f"test-{role}")


def rows(cluster, sql: str, params=None, role: str = "builder") -> list[tuple]:
    with contextlib.closing(connect(cluster, role)) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def mart_hashes(cluster) -> dict[str, str]:
    """md5 of each published mart's full contents, rows in a canonical order."""
    tables = [r[0] for r in rows(cluster, "select tablename from pg_tables "
                                          "where schemaname = 'marts' order by 1")]
    # published_partitions names the builds rows come from: its statuses are what must match
    source = {"published_partitions": "(select committee_code, year, status "
                                      "from marts.published_partitions)"}
    return {t: rows(cluster, f"select md5(coalesce(string_agg(x::text, E'\\n' order by "
                             f"x::text), '')) from {source.get(t, 'marts.' + t)} as x")[0][0]
            for t in tables}


def kpis_2024(cluster, role: str = "builder") -> dict[str, float]:
    return {code: float(value) for code, value in rows(cluster, KPI_SQL, role=role)}


def overlaps(intervals: list[tuple[datetime, datetime, str]]) -> list[tuple[str, str]]:
    ordered = sorted(intervals)
    return [(a[2], b[2]) for a, b in zip(ordered, ordered[1:], strict=False) if b[0] < a[1]]


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


# --- security of the API --------------------------------------------------------------------

def test_rest_api_refuses_unauthenticated_calls(cluster):
    api = cluster.api_url
    for method, path in (("GET", "/api/v2/dags"), ("GET", f"/api/v2/dags/{DAG_ID}/dagRuns"),
                         ("POST", f"/api/v2/dags/{DAG_ID}/dagRuns"),
                         ("GET", "/api/v2/config"), ("GET", "/api/v2/connections")):
        response = httpx.request(method, f"{api}{path}", json={"logical_date": None})
        assert response.status_code in (401, 403), (method, path, response.status_code)
        bad = httpx.request(method, f"{api}{path}", json={"logical_date": None},
                            headers={"Authorization": "Bearer not-a-token"})
        assert bad.status_code in (401, 403), (method, path, bad.status_code)
    # no "everyone is admin": no token without credentials, none for a wrong password
    assert httpx.get(f"{api}/auth/token").status_code == 403
    wrong = httpx.post(f"{api}/auth/token", json={"username": "admin", "password": "admin"})
    assert wrong.status_code == 401
    # a viewer may look but not trigger; the public health endpoint needs no login
    viewer = cluster.client("bcd35_viewer")
    assert viewer.request("GET", f"/api/v2/dags/{DAG_ID}").status_code == 200
    assert viewer.request("POST", f"/api/v2/dags/{DAG_ID}/dagRuns",
                          json={"logical_date": None}).status_code == 403
    assert httpx.get(f"{api}/api/v2/monitor/health").status_code == 200


# --- one night over the demo inbox ----------------------------------------------------------

def test_first_night_on_postgres_reproduces_spec(cluster):
    demo = subprocess.run([BCD35, "demo", "--home", str(cluster.home)], capture_output=True,
                          text=True, check=False)
    assert demo.returncode == 0, demo.stderr
    record("dag parsed (after start)", cluster.wait_for_dag(DAG_ID))
    client = cluster.client("bcd35_ops")
    client.unpause(DAG_ID)
    started = time.monotonic()
    run_id = client.trigger(DAG_ID, note="demo inbox")
    [run] = client.wait_for_runs(DAG_ID, [run_id], timeout=420).values()
    record("first run (demo inbox, full build): trigger → success", time.monotonic() - started)
    tis = {ti["task_id"]: ti for ti in client.task_instances(DAG_ID, run_id)}
    for task_id, ti in tis.items():
        record(f"first run: task {task_id}", float(ti["duration"] or 0))
    assert run["state"] == "success", (run, {t: ti["state"] for t, ti in tis.items()})
    assert set(tis) == {"ingest", "build", "audit", "publish"}
    assert all(ti["state"] == "success" and ti["try_number"] == 1 for ti in tis.values())

    got = kpis_2024(cluster)
    assert got == {k: float(v) for k, v in EXPECTED.items()}
    # the 2024 figures the README quotes, figure by figure
    assert got["hoi_nghi_thong_tin_thoi_su"] == 96
    assert got["ban_tin_so_ky"] == 12 and got["ban_tin_so_cuon"] == 9960
    assert 1 <= got["fanpage_tin_bai_binh_quan_ngay"] <= 2
    assert got["ctv_tin_bai_chia_se"] == 873
    assert got["ctv_luot_tiep_can_tuong_tac"] > 2_400_000
    assert got["khen_thuong_tap_the"] == 3 and got["bieu_duong_ca_nhan"] == 2

    # the audit ran on the candidate with GX's PostgreSQL data source and passed
    [(status, manifest)] = rows(cluster, "select status, manifest from bcd35_ops.builds "
                                         "where run_id = %s", [run_id])
    assert status == "published"
    assert manifest["validation"]["success"] and manifest["validation"]["n_expectations"] > 15
    assert manifest["warehouse"] == "postgres"
    assert len({source["sha256"] for source in manifest["sources"]}) == 11


# --- the analysts' role ---------------------------------------------------------------------

WRITES = {
    "insert": "insert into marts.dim_platform select * from marts.dim_platform limit 1",
    "update": "update marts.mart_kpi_annual set value = 0",
    "delete": "delete from marts.fct_meetings",
    "truncate": "truncate marts.fct_posts",
    "create table": "create table marts.mine (i int)",
    "create in public": "create table public.mine (i int)",
    "create temp table": "create temp table mine (i int)",
    "create schema": "create schema mine",
    "create view": "create view marts.mine as select 1 as i",
    "drop": "drop table marts.fct_meetings",
    "alter": "alter table marts.fct_meetings add column x int",
    "lock": "lock table marts.fct_meetings in access exclusive mode",
    "select into": "select * into public.mine from marts.dim_platform",
}


def _refused(conn, sql: str) -> type[Exception] | None:
    """The error class ``sql`` fails with (None if it succeeded), then rolls back."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    except psycopg2.Error as exc:
        conn.rollback()
        return type(exc)
    conn.rollback()
    return None


def test_analyst_reads_published_schemas_only_and_cannot_write(cluster):
    assert kpis_2024(cluster, role="analyst") == {k: float(v) for k, v in EXPECTED.items()}
    assert rows(cluster, "select count(*) from reference.kpi_catalogue", role="analyst")
    with contextlib.closing(connect(cluster, "analyst")) as conn:
        with conn.cursor() as cur:
            cur.execute("show default_transaction_read_only")
            assert cur.fetchone()[0] == "on"
            cur.execute("select current_setting('transaction_read_only')")
            assert cur.fetchone()[0] == "on"
        conn.rollback()
        for name, sql in WRITES.items():  # a read-only transaction refuses every write
            assert _refused(conn, sql) is not None, name
        # switching the transaction to read-write gives nothing: no privilege to write
        conn.autocommit = True
        for switch in (["begin transaction read write"],
                       ["begin", "set transaction read write"],
                       ["set default_transaction_read_only = off", "begin"],
                       ["set session characteristics as transaction read write", "begin"]):
            for name, sql in WRITES.items():
                with conn.cursor() as cur:
                    for statement in switch:
                        cur.execute(statement)
                    cur.execute("select current_setting('transaction_read_only')")
                    assert cur.fetchone()[0] == "off"  # the switch itself is allowed ...
                    try:
                        cur.execute(sql)
                    except errors.InsufficientPrivilege:  # ... writing is not
                        pass
                    else:
                        pytest.fail(f"the analyst could {name} after {switch}")
                    finally:
                        cur.execute("rollback")
                    cur.execute("reset all")
        conn.autocommit = False
        conn.rollback()
        # nothing but the published marts, reference and audit schemas
        schemas = [r[0] for r in rows(cluster, "select nspname from pg_namespace")]
        hidden = [s for s in schemas if s in ("raw", "staging", "intermediate", "bcd35_ops")
                  or s.startswith(("c_", "p_"))]
        assert "raw" in hidden and "bcd35_ops" in hidden
        for schema in hidden:
            table = rows(cluster, "select tablename from pg_tables where schemaname = %s "
                                  "limit 1", [schema])
            if table:
                assert _refused(conn, f'select * from "{schema}"."{table[0][0]}" limit 1') \
                    is errors.InsufficientPrivilege, schema
    # and not the Airflow metadata database
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(host="127.0.0.1", port=cluster.pg.port, user="bcd35_analyst",
                         password=cluster.secrets.analyst_password, dbname="airflow")


# --- twenty concurrent triggers -------------------------------------------------------------

class AnalystReader(threading.Thread):
    """An analyst querying the published KPIs in a loop while the nights run."""

    def __init__(self, cluster):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.stop = threading.Event()
        self.queries = 0
        self.errors: list[str] = []
        self.wrong: list[dict] = []

    def run(self):
        expected = {k: float(v) for k, v in EXPECTED.items()}
        while not self.stop.is_set():
            try:
                with contextlib.closing(connect(self.cluster, "analyst")) as conn:
                    for _ in range(20):
                        with conn.cursor() as cur:
                            cur.execute(KPI_SQL)
                            got = {k: float(v) for k, v in cur.fetchall()}
                            cur.execute("select count(*) from marts.fct_meetings")
                            cur.fetchone()
                        conn.rollback()
                        self.queries += 1
                        if got != expected:
                            self.wrong.append(got)
                        if self.stop.wait(0.05):
                            break
            except psycopg2.Error as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")


def test_twenty_concurrent_triggers(cluster):
    client = cluster.client("bcd35_ops")
    client.token()
    (cluster.home / "inbox" / "hoi_nghi_thang1_2025.csv").write_text(NEW_FILE,
                                                                      encoding="utf-8")
    before = {r[0] for r in rows(cluster, "select build_id from bcd35_ops.builds")}
    reader = AnalystReader(cluster)
    reader.start()
    started = time.monotonic()
    with ThreadPoolExecutor(N_CONCURRENT) as pool:
        run_ids = list(pool.map(lambda i: client.trigger(DAG_ID, note=f"burst {i}"),
                                range(N_CONCURRENT)))
    record(f"{N_CONCURRENT} triggers sent", time.monotonic() - started)
    assert len(set(run_ids)) == N_CONCURRENT

    seen: dict[str, set[str]] = {r: set() for r in run_ids}
    max_running = 0
    deadline = time.monotonic() + 600
    while True:
        runs = {r["dag_run_id"]: r for r in client.dag_runs(DAG_ID, limit=100)}
        for run_id in run_ids:
            seen[run_id].add(runs[run_id]["state"])
        max_running = max(max_running, sum(r["state"] == "running" for r in runs.values()))
        if all(runs[r]["state"] in ("success", "failed") for r in run_ids):
            break
        assert time.monotonic() < deadline, {r: runs[r]["state"] for r in run_ids}
        time.sleep(1)
    record(f"{N_CONCURRENT} concurrent runs: first trigger → last success",
           time.monotonic() - started)
    reader.stop.set()
    reader.join(30)

    # every run ends success, having been queued or running before
    assert all(runs[r]["state"] == "success" for r in run_ids), \
        {r: runs[r]["state"] for r in run_ids}
    assert all(states <= {"queued", "running", "success"} for states in seen.values()), seen
    assert max_running <= 1

    # at most one writer at a time: Airflow's pool tasks never overlap ...
    tis = client.task_instances(DAG_ID, "~")
    # a run with nothing new ends at its build: build, audit and publish are skipped
    by_run: dict[str, dict[str, str]] = {}
    for ti in tis:
        by_run.setdefault(ti.get("dag_run_id"), {})[ti["task_id"]] = ti["state"]
    done = {"ingest": "success", "build": "success", "audit": "success", "publish": "success"}
    nothing_new = {"ingest": "success", "build": "skipped", "audit": "skipped",
                   "publish": "skipped"}
    assert all(states in (done, nothing_new) for states in by_run.values()), by_run
    assert sum(states == done for states in by_run.values()) == 2  # the first run, and ours
    assert all(ti["try_number"] <= 1 for ti in tis), tis
    writers = [(parse(ti["start_date"]), parse(ti["end_date"]),
                f"{ti.get('dag_run_id')}/{ti['task_id']}")
               for ti in tis if ti["task_id"] in POOL_TASKS and ti.get("start_date")]
    assert len(writers) >= 2 * (N_CONCURRENT + 1)  # every ingest and build ran
    assert overlaps(writers) == []
    # ... and the database's writer lock never had to make anyone wait
    log = rows(cluster, "select acquired_at, released_at, run_id || '/' || stage, "
                        "extract(epoch from acquired_at - requested_at) from bcd35_ops.writer_log")
    assert overlaps([(a, b, name) for a, b, name, _ in log]) == []
    assert max(waited for *_, waited in log) < 1.0

    # the first run found the new file and published a new build; the 19 others found
    # nothing new and left the published marts as they were (no rebuild: same inputs)
    builds = rows(cluster, "select build_id, run_id, status, manifest from bcd35_ops.builds "
                           "where not build_id = any(%s) order by created_at", [list(before)])
    assert len(builds) == N_CONCURRENT
    [published] = [b for b in builds if b[2] == "published"]
    unchanged = [b for b in builds if b[2] == "unchanged"]
    assert len(unchanged) == N_CONCURRENT - 1
    assert {b[3]["same_as"] for b in unchanged} == {published[0]}
    assert rows(cluster, "select build_id from bcd35_ops.published") == [(published[0],)]
    assert rows(cluster, "select count(*) from bcd35_ops.swap_log where outcome <> 'swapped' "
                         "and build_id = %s", [published[0]]) == [(0,)]
    assert kpis_2024(cluster) == {k: float(v) for k, v in EXPECTED.items()}
    assert rows(cluster, "select value from marts.mart_kpi_annual where year = 2025 and "
                         "kpi_code = 'hoi_nghi_tong_so'") == [(1.0,)]

    # no lock errors anywhere: not in the analyst's queries, not in the tasks' logs
    assert reader.queries > 50 and reader.errors == [] and reader.wrong == []
    record("analyst queries during the burst (all correct, no error)", float(reader.queries))
    task_logs = "\n".join(p.read_text(errors="replace")
                          for p in (cluster.airflow_home / "logs").rglob("*.log"))
    for needle in ("LockNotAvailable", "deadlock detected", "lock timeout",
                   "could not obtain lock"):
        assert needle not in task_logs
    cluster.mart_hashes_after_burst = mart_hashes(cluster)


# --- the switch never breaks an analyst's query ---------------------------------------------

@pytest.fixture
def warehouse_env(cluster, monkeypatch):
    for key, value in {**cluster.warehouse_env(), "BCD35_HOME": str(cluster.home),
                       "BCD35_PSEUDONYM_KEY": cluster.secrets.pseudonym_key,
                       "BCD35_FORCE_BUILD": "1", "GX_ANALYTICS_ENABLED": "False"}.items():
        monkeypatch.setenv(key, value)
    from bcd35.config import resolve_home

    return resolve_home(cluster.home)


def test_switch_waits_for_running_analyst_queries_and_rebuilds_identically(
        cluster, warehouse_env):
    from bcd35.warehouse import postgres as engine

    warehouse = engine.PostgresWarehouse()

    home = warehouse_env
    before = getattr(cluster, "mart_hashes_after_burst", None) or mart_hashes(cluster)
    old_build = rows(cluster, "select build_id from bcd35_ops.published")[0][0]
    run_id = "manual__switch_under_load"
    started = time.monotonic()
    build_id = warehouse.build(home, run_id)
    record("direct build (load raw + dbt build into candidate schemas)",
           time.monotonic() - started)
    started = time.monotonic()
    audited = warehouse.audit(home, run_id, build_id)
    record("direct audit (GX, PostgreSQL data source, 12 suites)", time.monotonic() - started)
    # the pages are those of the published build: no "new page" warning this time
    assert not [w for w in audited["warnings"] if w.startswith("[posts_from_new_page]")]

    # an analyst in a repeatable-read transaction has read the published KPIs ...
    analyst = connect(cluster, "analyst")
    analyst.set_session(isolation_level="REPEATABLE READ")
    with analyst.cursor() as cur:
        cur.execute(KPI_SQL)
        first = cur.fetchall()
    # ... and another one runs a long statement
    long_result: dict = {}

    def long_query():
        try:
            with contextlib.closing(connect(cluster, "analyst")) as conn, conn.cursor() as cur:
                cur.execute("with pause as materialized (select pg_sleep(4)) "
                            "select count(*) from marts.fct_meetings, pause")
                long_result["rows"] = cur.fetchone()[0]
        except psycopg2.Error as exc:
            long_result["error"] = repr(exc)

    long_thread = threading.Thread(target=long_query)
    long_thread.start()
    published: dict = {}

    def publish():
        try:
            published["id"] = warehouse.publish(home, run_id, build_id)
        except Exception as exc:  # reported below
            published["error"] = repr(exc)

    publisher = threading.Thread(target=publish)
    started = time.monotonic()
    publisher.start()
    # the switch cannot get its locks while the analysts hold the published tables
    deadline = time.monotonic() + 60
    while not rows(cluster, "select 1 from bcd35_ops.swap_log where build_id = %s and "
                            "outcome = 'lock_timeout'", [build_id]):
        assert time.monotonic() < deadline, "the switch never waited for the analysts"
        time.sleep(0.2)
    assert rows(cluster, "select build_id from bcd35_ops.published") == [(old_build,)]
    with analyst.cursor() as cur:  # the analyst's transaction still sees one build
        cur.execute(KPI_SQL)
        assert cur.fetchall() == first
        cur.execute("select count(*) from marts.fct_posts")
        assert cur.fetchone()[0] > 500
    analyst.commit()
    analyst.close()
    long_thread.join(60)
    publisher.join(180)
    record("direct publish, waiting for two analyst queries", time.monotonic() - started)
    assert long_result.get("error") is None and long_result["rows"] > 100, long_result
    assert published.get("id") == build_id, published
    attempts = rows(cluster, "select outcome, count(*) from bcd35_ops.swap_log "
                             "where build_id = %s group by 1", [build_id])
    assert dict(attempts)["swapped"] == 1 and dict(attempts)["lock_timeout"] >= 1
    record("switch attempts that waited for analysts (lock_timeout, retried)",
           float(dict(attempts)["lock_timeout"]))
    assert rows(cluster, "select build_id from bcd35_ops.published") == [(build_id,)]
    # the same inputs rebuilt from scratch give identical marts
    assert mart_hashes(cluster) == before
    assert kpis_2024(cluster, role="analyst") == {k: float(v) for k, v in EXPECTED.items()}
    # the previous build is kept (retired, not readable by analysts) for a rollback
    assert rows(cluster, "select status from bcd35_ops.builds where build_id = %s",
                [old_build]) == [("retired",)]


def test_a_switch_that_never_gets_its_locks_leaves_the_last_good_build(cluster, warehouse_env):
    from bcd35.warehouse import postgres as engine

    fake = "20000101T000000Z_deadbeef"
    with contextlib.closing(connect(cluster)) as conn:
        with conn.cursor() as cur:
            for layer in engine.LAYERS:
                cur.execute(f'create schema "{engine.candidate_schema(fake, layer)}"')
        conn.commit()
        current = rows(cluster, "select build_id from bcd35_ops.published")[0][0]
        analyst = connect(cluster, "analyst")
        with analyst.cursor() as cur:
            cur.execute("select count(*) from marts.mart_kpi_annual")  # holds its lock
        switch: dict = {}

        def attempt():
            try:
                engine.swap(conn, fake, attempts=2)
            except Exception as exc:  # asserted below
                switch["error"] = exc

        thread = threading.Thread(target=attempt)
        thread.start()
        # while the switch waits for the analyst's table (marts.fct_meetings sorts before it) ...
        pid = conn.get_backend_pid()
        deadline = time.monotonic() + 30
        while rows(cluster, "select wait_event_type from pg_stat_activity where pid = %s",
                   [pid]) != [("Lock",)]:
            assert time.monotonic() < deadline, "the switch never waited for the analyst"
            time.sleep(0.02)
        # ... it holds no other published table: the analyst's transaction reads on, no wait
        # (a switch that holds the tables it locked before waits for the analyst, who waits
        # for it: a deadlock, broken only after deadlock_timeout by failing one of the two)
        with analyst.cursor() as cur:
            cur.execute("set local lock_timeout = '300ms'")
            cur.execute("select count(*) from marts.fct_meetings")
            assert cur.fetchone()[0] > 0
        thread.join(60)
        assert isinstance(switch.get("error"), engine.SwapTimedOut), switch
        analyst.rollback()
        analyst.close()
        assert rows(cluster, "select build_id from bcd35_ops.published") == [(current,)]
        assert kpis_2024(cluster, role="analyst") == {k: float(v) for k, v in EXPECTED.items()}
        with conn.cursor() as cur:
            for layer in engine.LAYERS:
                cur.execute(f'drop schema "{engine.candidate_schema(fake, layer)}"')
        conn.commit()


# --- a build that fails its audit is never published ----------------------------------------

FAULTS = {  # fixture → the blocking check it trips, and what the clerk is told
    "meeting_log_line4_dated_2014_in_2024_log.csv": (
        "meeting_date_in_its_year", "meeting_log_line4_dated_2014_in_2024_log.csv, dòng 4"),
    "meeting_log_line2_zero_attendees.csv": (
        "meeting_attendees_positive", "meeting_log_line2_zero_attendees.csv, dòng 2"),
    "meta_posts_reactions_comments_shares_disagree.csv": (
        "post_interactions_add_up", "1222599999999990001"),
    "distribution_issue1_does_not_add_up.csv": ("bulletin_reconciliation", "Bản tin số 1/"),
}


def test_faults_on_postgres_withhold_their_partition_and_keep_its_figures(
        cluster, warehouse_env, tmp_path, monkeypatch):
    import shutil

    from bcd35.warehouse import postgres as engine

    warehouse = engine.PostgresWarehouse()

    from bcd35 import nightly
    from bcd35.config import resolve_home

    fixtures = REPO / "tests" / "fixtures" / "e2e"
    home = resolve_home(tmp_path / "home")
    shutil.copytree(cluster.home, home.root, symlinks=True)
    for name in FAULTS:
        shutil.copy(fixtures / name, home.inbox / name)
    monkeypatch.setenv("BCD35_HOME", str(home.root))
    published_before = rows(cluster, "select build_id from bcd35_ops.published")
    cluster.hashes_before_faults = mart_hashes(cluster)  # the rollback test returns to them

    run_id = "manual__faults"
    nightly.ingest(home, run_id)
    build_id = warehouse.build(home, run_id)
    # and a defect no inbox can cause: the candidate's mart disagrees with its staging
    with contextlib.closing(connect(cluster)) as conn, conn.cursor() as cur:
        cur.execute(f"update {engine.candidate_schema(build_id, 'marts')}.mart_kpi_annual "
                    "set value = value + 1 where kpi_code = 'ban_tin_so_ky' and year = 2024")
        conn.commit()
    audited = warehouse.audit(home, run_id, build_id)
    # every fault is in Hàm Yên's records: its partitions are withheld, with the clerk's lines
    withheld = audited["withheld"]
    assert {(w["committee_code"], w["year"]) for w in withheld} >= {("ham_yen", 2024)}
    checks = {check for w in withheld for check in w["checks"]}
    assert {check for check, _ in FAULTS.values()} | {"kpi_equals_recomputation"} <= checks
    message = "\n".join(m for w in withheld for m in w["messages"])
    for _, named in FAULTS.values():
        assert named in message, named
    assert "ban_tin_so_ky" in message
    assert warehouse.publish(home, run_id, build_id) == build_id
    assert rows(cluster, "select build_id from bcd35_ops.published") == [(build_id,)]
    with contextlib.closing(connect(cluster, "analyst")) as conn, conn.cursor() as cur:
        cur.execute("select status, build_id from marts.published_partitions "
                    "where committee_code = 'ham_yen' and year = 2024")
        assert cur.fetchall() == [("withheld", published_before[0][0])]
    # analysts keep the last good figures of the withheld partition
    assert kpis_2024(cluster, role="analyst") == {k: float(v) for k, v in EXPECTED.items()}
    # and a build whose manifest says it failed is never published
    manifest = warehouse.stem(home, build_id).with_suffix(".json")
    document = json.loads(manifest.read_text(encoding="utf-8"))
    document["validation"]["success"] = False
    manifest.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(engine.PublishRefused):
        warehouse.publish(home, run_id, build_id)


def test_rollback_returns_analysts_to_the_previous_build(cluster, warehouse_env):
    from bcd35.warehouse import postgres as engine

    warehouse = engine.PostgresWarehouse()

    current = rows(cluster, "select build_id from bcd35_ops.published")[0][0]
    [(previous,)] = rows(cluster, "select build_id from bcd35_ops.builds where status = "
                                  "'retired' order by published_at desc limit 1")
    hashes = getattr(cluster, "hashes_before_faults", None) or mart_hashes(cluster)
    assert warehouse.rollback(warehouse_env) == previous
    assert warehouse.status()["published"] == previous
    assert rows(cluster, "select status from bcd35_ops.builds where build_id = %s",
                [current]) == [("rolled_back",)]
    assert mart_hashes(cluster) == hashes  # the build before the faults, as it was
    assert kpis_2024(cluster, role="analyst") == {k: float(v) for k, v in EXPECTED.items()}


# --- secrets --------------------------------------------------------------------------------

def test_no_secret_in_logs_or_the_home(cluster):
    values = [v for v in cluster.secrets.values() if len(v) >= 16]
    scanned = 0
    for folder in (cluster.root / "logs", cluster.airflow_home, cluster.home):
        for path in Path(folder).rglob("*"):
            if not path.is_file() or path.suffix in (".parquet", ".xlsx", ".duckdb"):
                continue
            text = path.read_text(errors="replace")
            scanned += 1
            leaked = [v[:4] + "…" for v in values if v in text]
            assert not leaked, f"secret(s) {leaked} found in {path}"
    assert scanned > 20
