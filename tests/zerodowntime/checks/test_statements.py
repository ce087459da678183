"""Statement classification: the facts the rules are built on."""

from __future__ import annotations

from zerodowntime.checks.statements import Kind, classify, timeout_is_set


def test_alter_table_actions_are_split_and_named() -> None:
    actions = classify(
        'ALTER TABLE "item" ADD COLUMN "slug" varchar(50) DEFAULT \'a,b\' NOT NULL, '
        'ALTER COLUMN "name" SET NOT NULL, DROP COLUMN "created";'
    )
    assert [(a.kind, a.table, a.column) for a in actions] == [
        (Kind.ADD_COLUMN, "item", "slug"),
        (Kind.SET_NOT_NULL, "item", "name"),
        (Kind.DROP_COLUMN, "item", "created"),
    ]
    assert actions[0].not_null and actions[0].has_default


def test_index_statements_know_concurrency_and_table() -> None:
    [create] = classify('CREATE UNIQUE INDEX CONCURRENTLY "i" ON "public"."item" ("slug")')
    assert (create.kind, create.name, create.table, create.concurrently) == (
        Kind.CREATE_INDEX,
        "i",
        "item",
        True,
    )
    [drop] = classify("DROP INDEX IF EXISTS i")
    assert (drop.kind, drop.concurrently) == (Kind.DROP_INDEX, False)


def test_constraints_keep_not_valid_and_using_index() -> None:
    [check] = classify('ALTER TABLE t ADD CONSTRAINT c CHECK ("x" IS NOT NULL) NOT VALID')
    assert (check.kind, check.column, check.not_valid) == (Kind.ADD_CHECK, "x", True)
    [unique] = classify("ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i")
    assert (unique.kind, unique.using_index) == (Kind.ADD_UNIQUE, "i")


def test_comments_rename_dml_and_lock_timeout() -> None:
    assert classify("-- only a comment") == []
    [rename] = classify("ALTER TABLE t RENAME COLUMN a TO b")
    assert (rename.kind, rename.column, rename.value) == (Kind.RENAME_COLUMN, "a", "b")
    assert classify("UPDATE t SET a = 1")[0].kind is Kind.DML
    [timeout] = classify("SET lock_timeout TO '1s';")
    assert timeout.kind is Kind.LOCK_TIMEOUT and timeout_is_set(timeout.value)
    assert not timeout_is_set("0ms") and not timeout_is_set(None)


def test_commas_in_parentheses_and_quotes_do_not_split_actions() -> None:
    actions = classify("ALTER TABLE t ADD CHECK (a IN (1, 2)), ADD b text DEFAULT 'x,y'")
    assert [(a.kind, a.column) for a in actions] == [
        (Kind.ADD_CHECK, None),
        (Kind.ADD_COLUMN, "b"),
    ]
