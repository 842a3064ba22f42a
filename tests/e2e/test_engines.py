"""The same product on both engines: DuckDB (embedded) and PostgreSQL (started by the suite).

Through the real CLI and the real DAGs, once per engine: the demo night, the report, status,
the annual-report DAG, the analysts' shell; then a second committee and a planted fault (a
meeting with 0 attendees in Hàm Yên 2024): the partition is withheld, its report refused, the
rest published; the clerk takes the file back and the next night publishes while an analyst
is reading; ``rollback`` returns analysts to the night before. Both engines must give the same
KPIs and the same report files (docs/development.md#the-warehouse-core).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from bcd35.config import Home
from bcd35.partitions import published_partitions
from bcd35.warehouse import Warehouse
from bcd35.warehouse.duckdb import DuckDBWarehouse
from tests.e2e.test_report_cli import YEN_SON_MEETINGS, mart_kpis
from tests.support import BCD35, FIXTURES, bcd35, clean_env, kpis, run_annual_report_dag

pytestmark = pytest.mark.postgres

YEAR = 2024
FAULT = "meeting_log_line2_zero_attendees.csv"
NEW_MEETING = "meeting_log_one_new_meeting.csv"
EXIT_PUBLISHED_WITHHELD = 3
EXIT_REFUSED = 2
#: what a report's JSON says of the build it came from: different for every build
PROVENANCE = ("run_id", "build_id", "built_at", "code_version")


class Night:
    """A home on one engine: its settings and the engine's warehouse object."""

    def __init__(self, engine: str, root: Path, env: dict[str, str], warehouse: Warehouse,
                 database: str | None = None):
        self.engine, self.root, self.env, self.warehouse = engine, root, env, warehouse
        self.home = Home(root)
        self.database = database

    def cli(self, *args: str, stdin: str | None = None):
        return bcd35(self.root, *args, env=self.env, stdin=stdin)

    def published(self) -> Path:
        build = self.warehouse.published_build(self.home)
        assert build is not None
        return build

    def published_id(self) -> str | None:
        return self.warehouse.published_id(self.home)


def _night(engine: str, root: Path, pg_server=None) -> Night:
    if engine == "postgres":
        database = f"engines_{os.getpid()}"
        night = Night(engine, root, pg_server.database(database),
                      pg_server.warehouse(database), database)
    else:
        night = Night(engine, root, {}, DuckDBWarehouse())
    assert night.cli("demo").returncode == 0
    run = night.cli("run")
    assert run.returncode == 0, run.stdout + run.stderr
    report = night.cli("report", "--year", str(YEAR))
    assert report.returncode == 0, report.stdout + report.stderr
    return night


@pytest.fixture(scope="module")
def duckdb_night(tmp_path_factory) -> Night:
    return _night("duckdb", tmp_path_factory.mktemp("engine_duckdb") / "home")


@pytest.fixture(scope="module")
def postgres_night(tmp_path_factory, pg_server) -> Night:
    return _night("postgres", tmp_path_factory.mktemp("engine_postgres") / "home", pg_server)


@pytest.fixture(params=["duckdb", "postgres"])
def night(request) -> Night:
    return request.getfixturevalue(f"{request.param}_night")


def _without_provenance(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in PROVENANCE}


def test_same_kpis_and_report_files_on_both_engines(duckdb_night, postgres_night):
    duck, pg = duckdb_night, postgres_night
    assert pg.published_id() != duck.published_id()  # two builds, on two engines
    assert mart_kpis(pg.published(), "ham_yen", YEAR) == mart_kpis(duck.published(),
                                                                    "ham_yen", YEAR)
    folder = Path("exports") / str(YEAR)
    csv = folder / f"kpi_{YEAR}.csv"
    assert (pg.root / csv).read_bytes() == (duck.root / csv).read_bytes()
    doc = folder / f"kpi_{YEAR}.json"
    pg_json, duck_json = (json.loads((n.root / doc).read_text("utf-8")) for n in (pg, duck))
    assert pg_json["build_id"] == pg.published_id()
    assert _without_provenance(pg_json) == _without_provenance(duck_json)
    expected = json.loads((Path(__file__).parents[2] / "seeds/demo/expected_kpis_2024.json")
                          .read_text())
    assert kpis(pg.root / folder, YEAR) == pytest.approx(expected)


def test_status_names_the_published_build_and_its_checks(night):
    status = night.cli("status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert night.published_id() in status.stdout
    assert "ĐẠT / passed" in status.stdout


def test_the_annual_report_dag_writes_the_report_from_the_engine(night):
    out = night.root / "exports" / str(YEAR)
    shutil.rmtree(out)
    dag = run_annual_report_dag(night.root, [YEAR], env=night.env)
    assert "STATE success" in dag.stdout, dag.stdout[-3000:] + dag.stderr[-3000:]
    written = json.loads((out / f"kpi_{YEAR}.json").read_text("utf-8"))
    assert written["build_id"] == night.published_id()
    assert (out / f"bao_cao_{YEAR}.docx").is_file()


def test_the_analysts_shell_reads_and_cannot_write(night):
    if night.engine == "postgres":
        query = "select value from marts.mart_kpi_annual where committee_code = 'ham_yen' " \
                "and year = 2024 and kpi_code = 'hoi_nghi_tong_so';\n"
        read = night.cli("sql", stdin="\\pset tuples_only on\n" + query)
        assert read.returncode == 0, read.stderr
        assert read.stdout.split() == ["136"]
        write = night.cli("sql", stdin="delete from marts.mart_kpi_annual;\n")
        assert write.returncode != 0 and "read-only transaction" in write.stderr
    else:
        read = night.cli("sql", stdin="select count(*) > 0 from marts.mart_kpi_annual;\n")
        assert read.returncode == 0 and "true" in read.stdout, read.stdout + read.stderr
        write = night.cli("sql", stdin="delete from marts.mart_kpi_annual;\n")
        assert "read-only" in (write.stdout + write.stderr).lower()


@contextlib.contextmanager
def _analyst_reading(night: Night, pg_server) -> object:
    """An analyst in the middle of reading the published KPIs: a DuckDB session on the
    published file, or a PostgreSQL transaction as the analyst role."""
    sql = ("select value from marts.mart_kpi_annual where committee_code = 'ham_yen' "
           "and year = 2024 and kpi_code = 'hoi_nghi_tong_so'")
    if night.engine == "duckdb":
        con = duckdb.connect(str(night.home.published), read_only=True)
        try:
            yield lambda: float(con.sql(sql).fetchone()[0])
        finally:
            con.close()
        return
    conn = pg_server.target(night.database, analyst=True).connect()
    try:
        with conn.cursor() as cur:
            def read() -> float:
                cur.execute(sql)
                return float(cur.fetchone()[0])
            yield read
    finally:
        conn.rollback()
        conn.close()


def _swap_waits(night: Night, pg_server) -> bool:
    """PostgreSQL: the switch has tried and waited for the analyst's lock at least once."""
    with contextlib.closing(pg_server.target(night.database).connect()) as conn, \
            conn.cursor() as cur:
        cur.execute("select count(*) from bcd35_ops.swap_log where outcome = 'lock_timeout'")
        return cur.fetchone()[0] > 0


def test_withhold_fix_read_through_a_publish_and_roll_back(night, request):
    """Runs last on each engine's home (it changes it)."""
    pg_server = request.getfixturevalue("pg_server") if night.engine == "postgres" else None
    before_build = night.published_id()
    before_2024 = mart_kpis(night.published(), "ham_yen", YEAR)
    # a second committee, and a planted fault in Hàm Yên 2024
    (night.root / "committees.csv").write_text(
        "committee_code,name_vi\nyen_son,Ban Chỉ đạo 35 huyện Yên Sơn\n", encoding="utf-8")
    (night.root / "inbox" / "yen_son").mkdir()
    (night.root / "inbox" / "yen_son" / "so_hoi_nghi_2024.csv").write_text(
        YEN_SON_MEETINGS, encoding="utf-8")
    shutil.copy(FIXTURES / FAULT, night.root / "inbox" / FAULT)

    run = night.cli("run")
    assert run.returncode == EXIT_PUBLISHED_WITHHELD, run.stdout + run.stderr
    assert "ham_yen 2024" in run.stderr and f"{FAULT}, dòng 2" in run.stderr
    withheld_build = night.published_id()
    assert withheld_build != before_build, "the partitions that passed were published"
    assert published_partitions(night.published()) == {
        ("ham_yen", 2023): ("current", withheld_build),
        ("ham_yen", 2024): ("withheld", before_build),
        ("yen_son", 2024): ("current", withheld_build)}
    assert mart_kpis(night.published(), "ham_yen", YEAR) == before_2024
    assert mart_kpis(night.published(), "yen_son", YEAR)["hoi_nghi_tong_so"] == 3
    refused = night.cli("report", "--year", str(YEAR))
    assert refused.returncode == EXIT_REFUSED and "withheld" in refused.stderr
    other = night.cli("report", "--year", str(YEAR), "--committee", "yen_son")
    assert other.returncode == 0, other.stdout + other.stderr
    status = night.cli("status").stdout
    assert "withheld" in status and "ham_yen 2024" in status

    # the clerk takes the faulty file back and adds a meeting; an analyst is reading when
    # the next night publishes
    (night.root / "inbox" / FAULT).unlink()
    shutil.copy(FIXTURES / NEW_MEETING, night.root / "inbox" / NEW_MEETING)
    with _analyst_reading(night, pg_server) as read:
        assert read() == before_2024["hoi_nghi_tong_so"]
        clean = clean_env()
        proc = subprocess.Popen([BCD35, "run", "--home", str(night.root)],
                                env={**clean, **night.env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if night.engine == "postgres":  # the switch waits for the reader, never breaks it
            deadline = time.monotonic() + 600
            while not _swap_waits(night, pg_server):  # polled against a deadline
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the publish never reached the switch"
                time.sleep(0.5)
            assert read() == before_2024["hoi_nghi_tong_so"]  # the same build throughout
        else:  # the night never waits for a reader of the file
            done = proc.communicate(timeout=900)
            assert proc.returncode == 0, done
            assert read() == before_2024["hoi_nghi_tong_so"]  # its session keeps its build
    if night.engine == "postgres":  # the reader is gone: the switch goes through
        done = proc.communicate(timeout=900)
        assert proc.returncode == 0, done
    fixed_build = night.published_id()
    assert fixed_build not in (before_build, withheld_build)
    assert mart_kpis(night.published(), "ham_yen", YEAR)["hoi_nghi_tong_so"] == \
        before_2024["hoi_nghi_tong_so"] + 1
    assert set(published_partitions(night.published()).values()) == {("current", fixed_build)}

    rollback = night.cli("rollback")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert night.published_id() == withheld_build
    assert mart_kpis(night.published(), "yen_son", YEAR)["hoi_nghi_tong_so"] == 3
    assert mart_kpis(night.published(), "ham_yen", YEAR) == before_2024
    refused = night.cli("report", "--year", str(YEAR))
    assert refused.returncode == EXIT_REFUSED, "the withheld build is back, and says so"
