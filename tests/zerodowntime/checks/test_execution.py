"""Findings of the previous release's executed code, on hand-written facts (no database needed).

The end-to-end run (a real child process on PostgreSQL) is
``tests/zerodowntime/git_releases/test_check_since.py``; these pin which migration is blamed.
"""

from __future__ import annotations

from zerodowntime.checks.execution import execution_findings
from zerodowntime.checks.facts import Execution, MigrationCapture, OperationFailure, OperationSQL


def migration(app: str, name: str, release: str, *statements: str) -> MigrationCapture:
    operations = [OperationSQL(0, "op", statements=list(statements))]
    return MigrationCapture(app, name, release, False, {}, operations)


ADDED = [
    migration("shop", "0004_index", "v5", "CREATE INDEX CONCURRENTLY i ON shop_item (name)"),
    migration(
        "shop",
        "0005_price",
        "v6",
        "ALTER TABLE shop_item ADD COLUMN note text NULL",
        "ALTER TABLE shop_item ADD COLUMN price integer NOT NULL",
    ),
]


def failure(
    sqlstate: str | None, table: str, column: str | None, operation: str = "create"
) -> OperationFailure:
    sql = "INSERT INTO shop_item"
    return OperationFailure("shop.Item", operation, "boom", sql, table, column, sqlstate)


def test_the_migration_blamed_is_the_first_of_the_kind_the_error_points_to() -> None:
    (finding,) = execution_findings(
        Execution(["shop.Item"], [failure("23502", "shop_item", "price")]), "v4", ADDED
    )
    assert (finding.rule, finding.severity.value) == ("ZDT206", "error")
    assert (finding.migration, finding.release) == ("shop.0005_price", "v6")
    assert "caused by shop.0005_price: ALTER TABLE shop_item ADD COLUMN price integer NOT NULL" in (
        finding.message
    )
    assert finding.statement == "INSERT INTO shop_item"


def test_an_error_of_no_known_kind_is_blamed_on_a_statement_on_its_table() -> None:
    (finding,) = execution_findings(
        Execution(["shop.Item"], [failure("P0001", "shop_item", None, "update")]), "v4", ADDED
    )
    assert finding.migration == "shop.0004_index"  # the first added statement on shop_item
    assert finding.message.startswith("v4's shop.Item update fails: boom; caused by")


def test_an_error_no_added_migration_explains_and_a_model_not_made_only_inform() -> None:
    execution = Execution(
        ["shop.Item"],
        [failure("23514", "shop_box", None)],
        {"shop.Crate": "TypeError: no factory"},
    )
    unexplained, crate = execution_findings(execution, "v4", ADDED)
    assert (unexplained.rule, unexplained.severity.value) == ("ZDT207", "info")
    assert unexplained.migration is None and not unexplained.blocks
    assert "no migration added since v4 does anything to shop_box" in unexplained.message
    assert crate.message.startswith("v4's shop.Crate was not exercised: TypeError: no factory")
    assert (crate.rule, crate.migration) == ("ZDT207", None)


def test_models_failing_on_the_same_related_insert_make_one_finding() -> None:
    def on_item(model: str) -> OperationFailure:
        return OperationFailure(
            model, "create", "null value", "INSERT INTO shop_item", "shop_item", "price", "23502"
        )

    own = failure("23502", "shop_item", "price")
    execution = Execution(
        ["shop.Item", "shop.Order", "shop.Review"],
        [own, on_item("shop.Order"), on_item("shop.Review")],
    )
    (item, grouped) = execution_findings(execution, "v4", ADDED)
    assert grouped.message.startswith(
        "v4's shop.Order create fails: null value (so update and delete were not run);"
        " shop.Review create fail the same way, on the same statement"
    )
    assert grouped.migration == item.migration == "shop.0005_price"
    assert item.message.startswith("v4's shop.Item create fails: boom")
    assert "the same way" not in item.message


def test_an_error_of_a_known_kind_is_not_blamed_on_a_statement_that_cannot_cause_it() -> None:
    # Generated values overflow an integer column; the only added statement on the table is an
    # index, which cannot cause "integer out of range" (seen on NetBox's MPTT tables).
    (finding,) = execution_findings(
        Execution(["shop.Item"], [failure("22003", "shop_item", None, "delete")]), "v4", ADDED[:1]
    )
    assert (finding.rule, finding.migration) == ("ZDT207", None)
    assert "does anything to shop_item that causes this error" in finding.message
