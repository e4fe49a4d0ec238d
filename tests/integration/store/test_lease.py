"""One active engine per database (engine.lease): on SQLite (a file lock) and on PostgreSQL (an advisory lock)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from engine.lease import PostgresLease, for_database


def test_a_second_engine_cannot_take_the_lease_until_the_first_gives_it_up(empty_database_url):
    first, second = for_database(empty_database_url), for_database(empty_database_url)
    try:
        assert first.try_acquire() and first.held()
        assert not second.try_acquire() and not second.held()
        first.release()
        assert not first.held()
        assert second.try_acquire() and second.held()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


HOLDER = """
import sys, time
from engine.lease import for_database
lease = for_database(sys.argv[1])
assert lease.try_acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_an_engine_killed_outright_leaves_the_lease_free_at_once(empty_database_url):
    """SIGKILL: no chance to release; the kernel (flock) or the server (the session's advisory lock) frees it."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, empty_database_url], stdout=subprocess.PIPE, text=True)
    lease = for_database(empty_database_url)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert not lease.try_acquire()
        holder.kill()
        holder.wait(10)
        deadline = time.time() + 5
        while not lease.try_acquire():
            assert time.time() < deadline, "the lease of a killed engine was not freed within 5 s"
            time.sleep(0.1)
    finally:
        holder.kill()
        lease.release()


@pytest.mark.postgres
def test_an_engine_whose_database_connection_is_cut_knows_it_lost_the_lease(pg_database):
    """The server ends the lease's connection (as a failover or a network cut would): held() says so, and the
    standby's next try takes the lease."""
    active, standby = PostgresLease(pg_database), PostgresLease(pg_database)
    admin = create_engine(pg_database, isolation_level="AUTOCOMMIT")
    try:
        assert active.try_acquire() and not standby.try_acquire()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_locks "
                              "WHERE locktype = 'advisory' AND objid = :k"), {"k": active.key})
        assert not active.held()
        assert standby.try_acquire()
    finally:
        active.release()
        standby.release()
        admin.dispose()


def test_an_in_memory_database_has_no_lease():
    with pytest.raises(ValueError, match="in-memory"):
        for_database("sqlite:///:memory:")
