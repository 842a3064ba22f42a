"""The PostgreSQL switch's locks against an analyst's open transaction, on a real server
(``bcd35.warehouse.postgres._lock_published``; docs/production.md#the-postgresql-warehouse).

The switch must take ``ACCESS EXCLUSIVE`` on every published table without ever holding one
while it waits for another: an analyst whose transaction holds the busy table and then reads
one the switch already holds would wait for the switch, which waits for the analyst.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from psycopg2 import errors

from bcd35.warehouse.postgres import _lock_published

pytestmark = pytest.mark.postgres

TABLES = ["marts.a_first", "marts.b_busy"]


@pytest.fixture(scope="module")
def target(pg_server):
    pg_server.database("switch_locks")
    target = pg_server.target("switch_locks")
    with contextlib.closing(target.connect()) as conn, conn, conn.cursor() as cur:
        cur.execute("create schema marts")
        for table in TABLES:
            cur.execute(f"create table {table} (x integer)")
            cur.execute(f"insert into {table} values (1)")
    return target


class Switch(threading.Thread):
    """``_lock_published`` on its own connection; its outcome in ``error``/``locked``."""

    def __init__(self, target, timeout_ms: int):
        super().__init__()
        self.conn = target.connect()
        self.pid = self.conn.get_backend_pid()
        self.timeout_ms = timeout_ms
        self.locked = False
        self.error: Exception | None = None

    def run(self):
        try:
            with self.conn.cursor() as cur:
                _lock_published(cur, TABLES, self.timeout_ms)
                self.locked = True
        except Exception as exc:  # asserted by the test
            self.error = exc
        finally:
            self.conn.rollback()
            self.conn.close()


def wait_until_waiting(target, switch: Switch) -> None:
    """Until the switch's backend waits for a lock (or the switch has ended)."""
    deadline = time.monotonic() + 30
    with contextlib.closing(target.connect()) as conn:
        conn.autocommit = True
        while switch.is_alive():
            with conn.cursor() as cur:
                cur.execute("select wait_event_type from pg_stat_activity where pid = %s",
                            [switch.pid])
                if cur.fetchone() == ("Lock",):
                    return
            assert time.monotonic() < deadline, "the switch never waited"
            time.sleep(0.01)


def analyst_holding_the_busy_table(target):
    conn = target.connect()
    with conn.cursor() as cur:
        cur.execute("select count(*) from marts.b_busy")  # its transaction holds the table
    return conn


def assert_locks_all_once_released(analyst, switch: Switch) -> None:
    """The analyst's transaction ends; the waiting switch then gets every table."""
    analyst.commit()
    analyst.close()
    switch.join(30)
    assert switch.error is None and switch.locked


def test_the_switch_waits_holding_no_table_and_locks_all_once_the_analyst_is_done(target):
    analyst = analyst_holding_the_busy_table(target)
    switch = Switch(target, timeout_ms=20_000)
    switch.start()
    wait_until_waiting(target, switch)
    with analyst.cursor() as cur:  # the table before the busy one is free: no wait
        cur.execute("set local lock_timeout = '300ms'")
        cur.execute("select count(*) from marts.a_first")
        assert cur.fetchone() == (1,)
    assert_locks_all_once_released(analyst, switch)


def test_a_timeout_of_zero_waits_without_limit(target):
    analyst = analyst_holding_the_busy_table(target)
    switch = Switch(target, timeout_ms=0)  # PostgreSQL's lock_timeout = 0: no limit
    switch.start()
    wait_until_waiting(target, switch)
    assert switch.is_alive() and switch.error is None
    assert_locks_all_once_released(analyst, switch)


def test_the_switch_gives_up_when_the_timeout_is_spent(target):
    analyst = analyst_holding_the_busy_table(target)
    try:
        switch = Switch(target, timeout_ms=300)
        switch.start()
        switch.join(30)
        assert isinstance(switch.error, errors.LockNotAvailable) and not switch.locked
    finally:
        analyst.rollback()
        analyst.close()
