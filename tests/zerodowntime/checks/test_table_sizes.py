"""``zdt check --database-url``: findings sized by a real database looked at, data loops on it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from tests.zerodowntime.checks.conftest import FIXTURE_SETTINGS, Gathered, rules_by_migration
from tests.zerodowntime.checks.test_cli import zdt_check
from zerodowntime.checks.facts import ChainCapture, MigrationCapture, OperationSQL
from zerodowntime.checks.findings import Finding
from zerodowntime.checks.runner import evaluate, gather
from zerodowntime.checks.table_sizes import table_names, with_table_sizes
from zerodowntime.checks.table_stats import DatabaseStats, StatsError, TableStats, looking_at
from zerodowntime.scratch import create_database, drop_database, with_database_name
from zerodowntime.sql import Relation

FIXTURE = "bad_flow_data_loop"
ROWS = 200_000
ITEM = "CREATE TABLE item (id bigserial PRIMARY KEY, name varchar(100) NOT NULL,"
ITEM += " created timestamptz NOT NULL DEFAULT now(), n integer)"


@pytest.fixture(scope="module")
def gathered(django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory) -> Gathered:
    """Return the facts of the fixture, gathered once for the module."""
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():  # type: ignore[attr-defined]
        patch.setenv("DJANGO_SETTINGS_MODULE", FIXTURE_SETTINGS)
        patch.setenv("ZDT_FIXTURE_APP", FIXTURE)
        return gather(["1"], Path(tmp_path_factory.mktemp(FIXTURE)))


def _populate(url: str, rows: int) -> None:
    """Create the fixture's table in database ``url`` with ``rows`` rows, analyzed."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(ITEM)
        connection.execute(
            "INSERT INTO item (name, n) SELECT 'item ' || g, NULL FROM generate_series(1, %s) g",
            (rows,),
        )
        connection.execute("VACUUM ANALYZE item")
        connection.execute("CREATE TABLE event (id int, k int) PARTITION BY RANGE (k)")
        connection.execute("CREATE TABLE event_1 PARTITION OF event FOR VALUES FROM (0) TO (5)")
        connection.execute("CREATE TABLE event_2 PARTITION OF event FOR VALUES FROM (5) TO (10)")
        connection.execute("INSERT INTO event SELECT g, g % 10 FROM generate_series(1, 3000) g")
        connection.execute("ANALYZE event_1, event_2")  # as autovacuum: never the parent


def _record_applied(url: str, *names: str) -> None:
    """Create ``django_migrations`` in database ``url`` with the fixture's migrations ``names``."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE django_migrations (app text, name text)")
        for name in names:
            connection.execute("INSERT INTO django_migrations VALUES (%s, %s)", (FIXTURE, name))


@pytest.fixture(scope="module")
def databases() -> Iterator[dict[str, str]]:
    """Yield the URLs of a big, an empty and a partly migrated big database to look at."""
    server = os.environ["DATABASE_URL"]
    names = {"big": "zdt_sizes_big", "empty": "zdt_sizes_empty", "deployed": "zdt_sizes_deployed"}
    urls = {kind: with_database_name(server, name) for kind, name in names.items()}
    try:
        create_database(server, names["big"])
        _populate(urls["big"], ROWS)
        create_database(server, names["deployed"], template=names["big"])
        _record_applied(urls["deployed"], "0001_initial", "0002_name_index", "0003_fill_sql")
        create_database(server, names["empty"])
        _populate(urls["empty"], 0)
        yield urls
    finally:
        for name in names.values():
            drop_database(server, name)


def _sizes(url: str, gathered: Gathered) -> DatabaseStats:
    with looking_at(url) as looker:
        return looker.read(table_names(gathered[0]))


def _by_rule(findings: list[Finding], rule: str) -> dict[str, Finding]:
    return {f.migration.split(".")[-1]: f for f in findings if f.rule == rule and f.migration}


def test_a_big_table_reports_rows_and_cost_and_flags_every_data_loop(
    gathered: Gathered, databases: dict[str, str]
) -> None:
    chain, facts = gathered
    today = evaluate(chain, facts, None)
    sized = evaluate(chain, facts, None, sizes=_sizes(databases["big"], gathered))

    assert {f.rule for f in today} == {"ZDT101", "ZDT106"}, "no data loop without sizes"
    loops = _by_rule(sized, "ZDT111")
    assert set(loops) == {"0003_fill_sql", "0004_fill_python"}
    assert all(f.blocks for f in loops.values())
    assert f"{ROWS:,} rows" in loops["0003_fill_sql"].message
    assert loops["0003_fill_sql"].statement == "UPDATE item SET n = 0 WHERE n IS NULL"
    assert "RunPython" in loops["0004_fill_python"].message
    assert "FROM item WHERE item.n = $1" in (loops["0004_fill_python"].statement or "")
    assert "background migration" in loops["0004_fill_python"].fix

    index = _by_rule(sized, "ZDT101")["0002_name_index"].size
    assert index is not None and index.rows == ROWS and index.table == "public.item"
    assert index.table_bytes and index.table_bytes > 5 * 2**20
    assert index.cost and index.cost.startswith("index build: indexes 200,000 rows under SHARE")
    assert index.seconds and index.seconds > 0
    rewrite = _by_rule(sized, "ZDT106")["0005_widen_n"].size
    assert rewrite is not None and rewrite.cost and rewrite.cost.startswith("table rewrite")


def test_an_empty_table_keeps_todays_findings(
    gathered: Gathered, databases: dict[str, str]
) -> None:
    chain, facts = gathered
    today = evaluate(chain, facts, None)
    sized = evaluate(chain, facts, None, sizes=_sizes(databases["empty"], gathered))

    assert [replace(f, size=None) for f in sized] == today
    assert all(f.size is not None and f.size.rows == 0 for f in sized)


def test_the_threshold_is_a_setting(
    gathered: Gathered, databases: dict[str, str], settings: object
) -> None:
    chain, facts = gathered
    sizes = _sizes(databases["big"], gathered)
    settings.ZDT_CHECK_BIG_TABLE_ROWS = ROWS + 1  # type: ignore[attr-defined]
    assert "ZDT111" not in {f.rule for f in evaluate(chain, facts, None, sizes=sizes)}
    settings.ZDT_CHECK_BIG_TABLE_ROWS = ROWS  # type: ignore[attr-defined]
    assert "ZDT111" in {f.rule for f in evaluate(chain, facts, None, sizes=sizes)}


def test_migrations_applied_in_that_database_are_left_alone(
    gathered: Gathered, databases: dict[str, str]
) -> None:
    chain, facts = gathered
    sizes = _sizes(databases["deployed"], gathered)
    assert sizes.applied == {
        f"{FIXTURE}.0001_initial",
        f"{FIXTURE}.0002_name_index",
        f"{FIXTURE}.0003_fill_sql",
    }
    findings = evaluate(chain, facts, None, sizes=sizes)

    assert ("ZDT111", "0004_fill_python") in rules_by_migration(findings)
    assert ("ZDT111", "0003_fill_sql") not in rules_by_migration(findings)
    assert _by_rule(findings, "ZDT101")["0002_name_index"].size is None


def test_a_partitioned_table_is_the_sum_of_its_partitions(databases: dict[str, str]) -> None:
    with looking_at(databases["empty"]) as looker:
        sizes = looker.read(["event", "item", "absent"])
    event = sizes.table(Relation("event"))
    assert event is not None and event.rows == 3000 and event.table_bytes > 0
    assert sizes.table(Relation("item", "public")) is not None
    assert sizes.table(Relation("absent")) is None
    assert sizes.table(Relation("item", "elsewhere")) is None


def test_the_connection_is_read_only_and_a_bad_url_is_one_sentence(
    databases: dict[str, str],
) -> None:
    with (
        looking_at(databases["empty"]) as looker,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        looker.connection.execute("CREATE TABLE written (id int)")
    unreachable = with_database_name("postgresql://127.0.0.1:1/x", "shop")
    with pytest.raises(StatsError) as refused, looking_at(unreachable):
        pass
    message = str(refused.value)
    assert message.startswith("cannot connect to database shop on 127.0.0.1:1: ")
    assert "\n" not in message
    with pytest.raises(StatsError, match="not a PostgreSQL URL"), looking_at("not a url"):
        pass


def test_zdt_check_database_url_sizes_the_findings(databases: dict[str, str]) -> None:
    result = zdt_check(FIXTURE, "--all", "--database-url", databases["big"], "--format", "json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["table_sizes_from"].startswith("database zdt_sizes_big on ")
    loop = next(f for f in report["findings"] if f["rule"] == "ZDT111")
    assert loop["size"]["rows"] == ROWS and loop["size"]["table"] == "public.item"


def test_zdt_check_with_an_unreachable_database_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZDT_CHECK_DATABASE_URL", "postgresql://127.0.0.1:1/shop")
    result = zdt_check(FIXTURE)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "cannot connect to database shop on 127.0.0.1:1" in line


def test_one_data_loop_finding_per_table_however_it_is_named() -> None:
    capture = MigrationCapture("app", "0002_fill", "1", atomic=True)
    capture.operations = [
        OperationSQL(0, "Raw SQL operation", statements=["UPDATE public.item SET n = 0"])
    ]
    capture.python_sql = ["SELECT item.id FROM item", "SELECT other.id FROM other"]
    chain = ChainCapture("app", ["1"], [capture], {})
    stats = DatabaseStats(
        "database shop on db",
        ("public",),
        {
            ("public", "item"): TableStats("public", "item", ROWS, 10 * 2**20, 0),
            ("public", "other"): TableStats("public", "other", 10, 8192, 0),
        },
    )
    [loop] = with_table_sizes([], chain, stats, threshold=ROWS)
    assert loop.statement == "UPDATE public.item SET n = 0" and loop.size is not None
    assert loop.message.startswith("Raw SQL operation goes through public.item row by row")
    assert with_table_sizes([], chain, stats, threshold=ROWS + 1) == []


def test_a_statement_a_loop_ran_many_times_counts_each_pass() -> None:
    capture = MigrationCapture("app", "0002_fix_zones", "1", atomic=True)
    capture.operations = [OperationSQL(0, "Raw Python operation", python=True)]
    update = "UPDATE profile SET tz = $1 WHERE profile.tz = $2"
    capture.python_sql = [update]
    capture.python_sql_runs = {update: 101}
    chain = ChainCapture("app", ["1"], [capture], {})
    table = TableStats("public", "profile", ROWS, 22 * 2**20, 0)
    stats = DatabaseStats("database shop on db", ("public",), {("public", "profile"): table})

    [loop] = with_table_sizes([], chain, stats, threshold=ROWS)
    assert ", 101 times the statement below" in loop.message and loop.statement == update
    assert loop.size is not None and loop.size.cost and loop.size.seconds
    assert loop.size.cost.startswith("row by row: 101 statements each go through all 200,000")
    capture.python_sql_runs = {}
    [once] = with_table_sizes([], chain, stats, threshold=ROWS)
    assert once.size is not None and once.size.seconds
    assert loop.size.seconds > once.size.seconds  # every pass reads the table
