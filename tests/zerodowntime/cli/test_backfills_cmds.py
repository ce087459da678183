"""``zdt backfills`` and ``zdt backfills run``, driven through click's runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tests.zerodowntime.background.backfills import ALL
from tests.zerodowntime.background.fixtures import ItemsTable
from zerodowntime.background.models import BackgroundMigration
from zerodowntime.cli.backfills_cmds import record_row
from zerodowntime.cli.main import cli


@pytest.fixture(autouse=True)
def registered(settings: pytest.FixtureRequest) -> None:
    settings.ZDT_BACKGROUND_MIGRATIONS = ALL


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, list(args))
    return result.exit_code, result.output


def test_run_then_list(items: ItemsTable) -> None:
    items.create(count=300)

    code, output = invoke("backfills", "run", "test_counter")

    assert code == 0, output
    assert "test_counter: done, 300 rows." in output
    assert items.histogram() == {1: 300}
    code, output = invoke("backfills")
    assert code == 0, output
    line = next(line for line in output.splitlines() if "test_counter" in line)
    assert "done" in line and "300 / 300" in line and "100.0%" in line


def test_run_stops_after_its_time_budget_and_says_how_to_continue(items: ItemsTable) -> None:
    items.create(count=50)

    code, output = invoke("backfills", "run", "test_counter", "--time-budget", "0")

    assert code == 0, output
    assert "run `zdt backfills run test_counter` again to continue" in output
    assert items.histogram() == {0: 50}


def test_an_unknown_name_is_one_clear_sentence(transactional_db: None) -> None:
    code, output = invoke("backfills", "run", "nope")

    assert code == 1
    assert "Error: no background migration named 'nope' is registered" in output
    assert "Traceback" not in output


def test_a_failed_run_exits_non_zero_with_the_error(
    items: ItemsTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.zerodowntime.background.backfills import FlakyCounterBackfill

    items.create(count=50)
    monkeypatch.setattr(FlakyCounterBackfill, "fail_above", 0)

    code, output = invoke("backfills", "run", "test_flaky_counter")

    assert code == 1 and "simulated failure" in output and "Traceback" not in output


def test_no_records_yet(transactional_db: None) -> None:
    assert invoke("backfills") == (0, "No background migrations are recorded.\n")


def test_record_row_shows_progress_rate_and_the_first_line_of_the_error() -> None:
    record = BackgroundMigration(
        name="product_slug",
        status=BackgroundMigration.Status.FAILED,
        rows_done=2500,
        rows_total=10_000,
        batch_size=4000,
        total_seconds=0.5,
        last_error="IntegrityError: duplicate key\nDETAIL: ...",
    )

    assert record_row(record, active=False) == [
        "product_slug",
        "failed",
        "2,500 / 10,000",
        "25.0%",
        "4,000",
        "5,000/s",
        "IntegrityError: duplicate key",
    ]
    assert record_row(record, active=True)[1] == "failed (active)"
