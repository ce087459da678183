"""The upgrade's own database work yields the CPU to the queries, unless it blocks them."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from zerodowntime.rehearsal.cluster import can_restore_priority
from zerodowntime.rehearsal.cpu_groups import CpuShare
from zerodowntime.rehearsal.database_priority import DeploymentWorkPriority, on_this_machine

pytestmark = pytest.mark.skipif(
    not can_restore_priority(), reason="needs root or RLIMIT_NICE 20 to give niceness 0 back"
)


def niceness_of(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def run_in_thread(connection: psycopg.Connection[tuple[object, ...]], sql: str) -> threading.Thread:
    thread = threading.Thread(target=lambda: connection.execute(sql))
    thread.start()
    return thread


def wait_for(predicate: object, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def priority() -> Iterator[DeploymentWorkPriority]:
    watcher = DeploymentWorkPriority(os.environ["DATABASE_URL"], niceness=10, interval=0.05)
    watcher.start()
    yield watcher
    watcher.stop()


@pytest.fixture
def table() -> str:
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as setup:
        setup.execute("DROP TABLE IF EXISTS zdt_priority_t; CREATE TABLE zdt_priority_t (id int)")
    return "zdt_priority_t"


def connect(
    application_name: str, autocommit: bool = True
) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        os.environ["DATABASE_URL"], autocommit=autocommit, application_name=application_name
    )


def test_a_busy_migration_backend_runs_lower_and_an_app_backend_does_not(
    priority: DeploymentWorkPriority,
) -> None:
    with connect("zdt-migrate-0.2.0") as migrate, connect("zdt-web-0.2.0") as web:
        busy = [run_in_thread(c, "SELECT pg_sleep(1.2)") for c in (migrate, web)]
        assert wait_for(lambda: niceness_of(migrate.info.backend_pid) == 10)
        assert niceness_of(web.info.backend_pid) == 0
        # Where it may, the lowered backend also runs in the low CPU group; the app's does not.
        # Not an idle group: a backend there holds commits behind it while it is descheduled.
        group = priority.cpu_group
        if group is not None:
            assert group.share is CpuShare.LOW
            for setting, value in CpuShare.LOW.settings(group.hierarchy.version).items():
                assert (group.directory / setting).read_text().strip() == value
            origin = group.hierarchy.directory_of(web.info.backend_pid)
            assert origin != group.directory
            assert wait_for(lambda: group.members == {migrate.info.backend_pid})
            assert group.hierarchy.directory_of(migrate.info.backend_pid) == group.directory
        for thread in busy:
            thread.join()
        # Idle between statements: its next statement starts at full priority, out of the group.
        assert wait_for(lambda: niceness_of(migrate.info.backend_pid) == 0)
        if group is not None:
            back = group.hierarchy.directory_of
            assert wait_for(lambda: back(migrate.info.backend_pid) == origin)
            assert wait_for(lambda: group.members == set())
    assert priority.unavailable is None
    assert priority.statements() == ["1 × SELECT pg_sleep(1.2)"]


def test_a_worker_backend_keeps_the_lower_priority_between_its_batches(
    priority: DeploymentWorkPriority,
) -> None:
    with connect("zdt-worker-0.2.0") as worker:
        pid = worker.info.backend_pid
        run_in_thread(worker, "SELECT pg_sleep(0.5)").join()  # a batch, seen and lowered
        group = priority.cpu_group
        assert niceness_of(pid) == 10
        polls = priority.sampled
        assert wait_for(lambda: priority.sampled >= polls + 4)  # polls that saw it idle
        # Its next batch starts lowered, not at full priority until the next poll.
        assert niceness_of(pid) == 10
        if group is not None:
            assert group.members == {pid}
    # Gone: forgotten, and out of the group.
    assert wait_for(lambda: group is None or group.members == set())


def test_a_statement_holding_a_lock_that_blocks_the_application_keeps_full_priority(
    priority: DeploymentWorkPriority, table: str
) -> None:
    with connect("zdt-worker-0.2.0", autocommit=False) as worker:
        worker.execute(f"LOCK TABLE {table} IN SHARE MODE")  # blocks the application's writes
        busy = run_in_thread(worker, "SELECT pg_sleep(0.8)")
        time.sleep(0.5)
        assert niceness_of(worker.info.backend_pid) == 0
        busy.join()
        worker.commit()
        busy = run_in_thread(worker, f"SELECT pg_sleep(0.8), (SELECT count(*) FROM {table})")
        assert wait_for(lambda: niceness_of(worker.info.backend_pid) == 10)
        busy.join()
        worker.commit()


def test_stopping_gives_the_lowered_backends_their_priority_back() -> None:
    watcher = DeploymentWorkPriority(os.environ["DATABASE_URL"], niceness=7, interval=0.05)
    watcher.start()
    with connect("zdt-migrate-x") as migrate:
        busy = run_in_thread(migrate, "SELECT pg_sleep(1.0)")
        assert wait_for(lambda: niceness_of(migrate.info.backend_pid) == 7)
        watcher.stop()
        assert niceness_of(migrate.info.backend_pid) == 0
        busy.join()


def test_a_server_elsewhere_is_left_alone() -> None:
    with connect("zdt-test") as conn:
        pid = conn.info.backend_pid
        assert on_this_machine(conn.info.host, pid)
    assert not on_this_machine("db.internal.example", pid)
    assert not on_this_machine("127.0.0.1", os.getpid())  # not a PostgreSQL process
