"""SQL read by PostgreSQL's parser: statements, their changes, relations and locks."""

from __future__ import annotations

import os

import psycopg
import pytest

from zerodowntime.checks.facts import MigrationCapture, OperationSQL
from zerodowntime.checks.findings import Finding
from zerodowntime.checks.rules import lint_migrations
from zerodowntime.sql import (
    Constraint,
    Kind,
    Lock,
    Relation,
    assigned_new_columns,
    changes_of,
    normalize,
    parse,
    split,
)


def only(sql: str):
    """Return the single change of a one-action statement."""
    [change] = changes_of(sql)
    return change


def lint(*statements: str) -> list[Finding]:
    """Return the linter's findings for one migration of ``statements`` after a lock timeout."""
    operation = OperationSQL(0, "op", statements=["SET lock_timeout TO '1s'", *statements])
    capture = MigrationCapture("app", "0002", "1", False, {}, [operation])
    return lint_migrations([capture])


# The three readings the regular expressions got wrong.


def test_default_null_not_null_is_a_not_null_column_without_default() -> None:
    add = only("ALTER TABLE t ADD COLUMN z text DEFAULT NULL NOT NULL")
    assert (add.kind, add.not_null, add.has_default) == (Kind.ADD_COLUMN, True, False)
    assert not only("ALTER TABLE t ADD z text DEFAULT NULL::text NOT NULL").has_default


def test_not_null_inside_a_string_is_a_default_value() -> None:
    add = only("ALTER TABLE t ADD COLUMN z text DEFAULT 'NOT NULL'")
    assert (add.not_null, add.has_default) == (False, True)


def test_quoted_table_name_is_kept_exact() -> None:
    add = only('ALTER TABLE "My Table" ADD COLUMN z text')
    assert (add.relation, add.table, add.column) == (Relation("My Table"), "My Table", "z")


def test_the_linter_gives_the_right_verdicts_on_the_three() -> None:
    [finding] = lint("ALTER TABLE t ADD COLUMN z text DEFAULT NULL NOT NULL")
    assert (finding.rule, finding.message.split(":")[0]) == ("ZDT104", "t.z added NOT NULL")
    assert lint("ALTER TABLE t ADD COLUMN z text DEFAULT 'NOT NULL'") == []
    # A table created in the migration is exempt: "My Table" is, "my" is not.
    [finding] = lint(
        'CREATE TABLE "My Table" (id int)',
        'ALTER TABLE "My Table" ADD COLUMN z text NOT NULL',
        "ALTER TABLE my ADD COLUMN z text NOT NULL",
    )
    assert (finding.rule, finding.statement) == (
        "ZDT104",
        "ALTER TABLE my ADD COLUMN z text NOT NULL",
    )


# Names.


def test_schema_qualified_and_quoted_names() -> None:
    index = only('CREATE INDEX "Ix" ON "Sales"."Order Lines" (id)')
    assert (index.name, index.relation) == ("Ix", Relation("Order Lines", "Sales"))
    assert str(index.relation) == '"Sales"."Order Lines"'
    assert only("ALTER TABLE Public.Item DROP COLUMN Name").relation == Relation("item", "public")
    assert only('DROP TABLE s."T"').relation == Relation("T", "s")
    trigger = only('DROP TRIGGER "Tr" ON s.t')
    assert (trigger.kind, trigger.name, trigger.relation) == (
        Kind.TRIGGER,
        "Tr",
        Relation("t", "s"),
    )


def test_tables_a_statement_touches() -> None:
    [statement] = parse(
        "ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (p) REFERENCES s.parent (id) NOT VALID"
    )
    assert statement.tables == (Relation("child"), Relation("parent", "s"))
    assert statement.locks == {
        Relation("child"): Lock.SHARE_ROW_EXCLUSIVE,
        Relation("parent", "s"): Lock.SHARE_ROW_EXCLUSIVE,
    }
    [create] = parse(
        "CREATE TABLE c (id int, p int REFERENCES a, q int, FOREIGN KEY (q) REFERENCES b)"
    )
    assert create.tables == (Relation("c"), Relation("a"), Relation("b"))
    assert create.lock is Lock.SHARE_ROW_EXCLUSIVE


# Scripts.


def test_a_script_splits_into_statements_without_comments() -> None:
    script = "-- Add field\nALTER TABLE t ADD a int; /* ; */ UPDATE t SET a = 1;\n-- done\n"
    assert split(script) == ["ALTER TABLE t ADD a int", "UPDATE t SET a = 1"]
    assert [c.kind for c in changes_of(script)] == [Kind.ADD_COLUMN, Kind.DML]
    assert split("-- only a comment") == []


def test_dollar_quoted_bodies_are_not_split() -> None:
    function = (
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
        "$body$ BEGIN NEW.a := 1; RETURN NEW; END $body$"
    )
    block = "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD b int; SELECT 1'; END $$"
    script = f"{function}; {block}; CREATE TRIGGER tr BEFORE INSERT ON t EXECUTE FUNCTION touch()"
    assert split(script) == [
        function,
        block,
        "CREATE TRIGGER tr BEFORE INSERT ON t EXECUTE FUNCTION touch()",
    ]
    kinds = [change.kind for change in changes_of(script)]
    assert kinds == [Kind.FUNCTION, Kind.OTHER, Kind.TRIGGER]


def test_a_statement_the_grammar_refuses_does_not_hide_the_others() -> None:
    statements = parse("ALTER TABLE t ADD a int DEFAULT %s; ALTER TABLE t DROP b; SELEC 1")
    assert [s.changes[0].kind for s in statements] == [
        Kind.UNPARSED,
        Kind.DROP_COLUMN,
        Kind.UNPARSED,
    ]
    assert statements[0].error == 'syntax error at or near "%"'
    assert statements[0].lock is Lock.ACCESS_EXCLUSIVE


def test_normalize_prints_one_line_without_comments() -> None:
    sql = '-- rename\nALTER TABLE  "item"\n RENAME COLUMN "created" TO "created_at";'
    assert normalize(sql) == "ALTER TABLE item RENAME COLUMN created TO created_at"
    assert (
        normalize('ALTER TABLE "My Table" ADD a int')
        == 'ALTER TABLE "My Table" ADD COLUMN a integer'
    )
    assert normalize("ALTER TABLE t  ADD a int DEFAULT %s") == "ALTER TABLE t ADD a int DEFAULT %s"


# Kinds of change.


@pytest.mark.parametrize(
    ("sql", "not_null", "has_default", "volatile"),
    [
        ("ALTER TABLE t ADD c int NOT NULL DEFAULT 0", True, True, False),
        ("ALTER TABLE t ADD c timestamptz DEFAULT now() NOT NULL", True, True, False),
        ("ALTER TABLE t ADD c timestamptz DEFAULT CURRENT_TIMESTAMP", False, True, False),
        ("ALTER TABLE t ADD c uuid DEFAULT gen_random_uuid() NOT NULL", True, True, True),
        ("ALTER TABLE t ADD c bigserial", True, True, True),
        ("ALTER TABLE t ADD c int GENERATED ALWAYS AS IDENTITY", True, True, True),
        ("ALTER TABLE t ADD c int GENERATED ALWAYS AS (a + 1) STORED", False, True, True),
        ("ALTER TABLE t ADD c int PRIMARY KEY", True, False, False),
        ("ALTER TABLE t ADD c int NULL", False, False, False),
    ],
)
def test_added_column_facts(sql: str, not_null: bool, has_default: bool, volatile: bool) -> None:
    add = only(sql)
    assert (add.kind, add.column) == (Kind.ADD_COLUMN, "c")
    assert (add.not_null, add.has_default, add.volatile_default) == (
        not_null,
        has_default,
        volatile,
    )


def test_alter_table_actions_one_change_each() -> None:
    script = (
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ALTER b DROP NOT NULL, "
        "ALTER c TYPE varchar(20) USING c::varchar(20), DROP COLUMN d, ALTER e SET DEFAULT 1"
    )
    assert [(c.kind, c.column, c.value) for c in changes_of(script)] == [
        (Kind.SET_NOT_NULL, "a", None),
        (Kind.DROP_NOT_NULL, "b", None),
        (Kind.ALTER_TYPE, "c", "varchar(20)"),
        (Kind.DROP_COLUMN, "d", None),
        (Kind.ALTER_OTHER, "e", None),
    ]
    rename = only("ALTER TABLE t RENAME COLUMN a TO b")
    assert (rename.kind, rename.column, rename.value) == (Kind.RENAME_COLUMN, "a", "b")
    assert only("ALTER TABLE t RENAME TO u").kind is Kind.RENAME_TABLE


def test_constraints_keep_their_kind_validity_and_index() -> None:
    check = only("ALTER TABLE t ADD CONSTRAINT c CHECK ((x IS NOT NULL)) NOT VALID")
    assert (check.kind, check.constraint, check.column, check.not_valid) == (
        Kind.ADD_CHECK,
        Constraint.CHECK,
        "x",
        True,
    )
    assert only("ALTER TABLE t ADD CHECK (x > 0)").column is None
    unique = only('ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX "U_idx"')
    assert (unique.kind, unique.unique, unique.using_index) == (Kind.ADD_UNIQUE, True, "U_idx")
    primary = only("ALTER TABLE t ADD PRIMARY KEY (id)")
    assert (primary.kind, primary.constraint) == (Kind.ADD_UNIQUE, Constraint.PRIMARY_KEY)
    foreign = only("ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES p (id)")
    assert (foreign.kind, foreign.not_valid, foreign.references) == (
        Kind.ADD_FOREIGN_KEY,
        False,
        (Relation("p"),),
    )
    not_null = only("ALTER TABLE t ADD CONSTRAINT n NOT NULL x NOT VALID")
    assert (not_null.kind, not_null.column, not_null.not_valid) == (Kind.SET_NOT_NULL, "x", True)
    exclusion = only("ALTER TABLE t ADD CONSTRAINT e EXCLUDE USING gist (r WITH &&)")
    assert (exclusion.kind, exclusion.constraint) == (Kind.ALTER_OTHER, Constraint.EXCLUSION)
    assert only("ALTER TABLE t VALIDATE CONSTRAINT c").name == "c"
    assert only("ALTER TABLE t DROP CONSTRAINT IF EXISTS c").kind is Kind.DROP_CONSTRAINT


def test_indexes_know_concurrency_and_uniqueness() -> None:
    index = only("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)")
    assert (index.kind, index.name, index.concurrently, index.unique) == (
        Kind.CREATE_INDEX,
        "i",
        True,
        True,
    )
    drops = changes_of("DROP INDEX CONCURRENTLY IF EXISTS a, s.b")
    assert [(d.kind, d.name, d.concurrently) for d in drops] == [
        (Kind.DROP_INDEX, "a", True),
        (Kind.DROP_INDEX, "b", True),
    ]
    reindex = only("REINDEX (VERBOSE) INDEX CONCURRENTLY i")
    assert (reindex.kind, reindex.name, reindex.concurrently) == (Kind.REINDEX, "i", True)


def test_settings_dml_and_other_statements() -> None:
    timeout = only("SET LOCAL lock_timeout = 0")
    assert (timeout.kind, timeout.value) == (Kind.LOCK_TIMEOUT, "0")
    assert only("SET lock_timeout TO '1s'").value == "1s"
    assert only("RESET lock_timeout").value == "0"
    assert only("RESET ALL").kind is Kind.LOCK_TIMEOUT
    assert only("SET statement_timeout = '5s'").kind is Kind.SETTING
    assert all(s.is_setting for s in parse("SET CONSTRAINTS ALL IMMEDIATE; SET ROLE r"))
    [fk_drop] = [s.is_setting for s in parse("SET CONSTRAINTS c IMMEDIATE; ALTER TABLE t DROP c")][
        1:
    ]
    assert not fk_drop
    for sql in ("INSERT INTO t VALUES (1)", "DELETE FROM t", "COPY t FROM STDIN"):
        assert (only(sql).kind, only(sql).table) == (Kind.DML, "t")
    write = only("WITH x AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM x")
    assert (write.kind, write.table) == (Kind.DML, "t")
    assert only("SELECT 1").kind is Kind.OTHER
    assert only("CREATE VIEW v AS SELECT 1").kind is Kind.OTHER_DDL
    assert only("COMMENT ON TABLE t IS 'x'").kind is Kind.OTHER_DDL
    assert only("ALTER INDEX i RENAME TO j").kind is Kind.OTHER_DDL


# Lock levels.


@pytest.mark.parametrize(
    ("sql", "lock"),
    [
        ("ALTER TABLE t ADD c int", Lock.ACCESS_EXCLUSIVE),
        ("ALTER TABLE t ALTER c SET NOT NULL", Lock.ACCESS_EXCLUSIVE),
        ("DROP TABLE t", Lock.ACCESS_EXCLUSIVE),
        ("TRUNCATE t", Lock.ACCESS_EXCLUSIVE),
        ("LOCK TABLE t", Lock.ACCESS_EXCLUSIVE),
        ("VACUUM FULL t", Lock.ACCESS_EXCLUSIVE),
        (
            "ALTER TABLE t SET (fillfactor = 70, autovacuum_enabled = false)",
            Lock.SHARE_UPDATE_EXCLUSIVE,
        ),
        (
            "ALTER TABLE t SET (parallel_workers = 2, user_catalog_table = true)",
            Lock.ACCESS_EXCLUSIVE,
        ),
        ("REFRESH MATERIALIZED VIEW CONCURRENTLY m", Lock.EXCLUSIVE),
        ("ALTER TABLE t ADD FOREIGN KEY (p) REFERENCES p (id) NOT VALID", Lock.SHARE_ROW_EXCLUSIVE),
        ("CREATE TRIGGER tr AFTER UPDATE ON t EXECUTE FUNCTION f()", Lock.SHARE_ROW_EXCLUSIVE),
        ("ALTER TABLE t DISABLE TRIGGER tr", Lock.SHARE_ROW_EXCLUSIVE),
        ("CREATE INDEX i ON t (a)", Lock.SHARE),
        ("REINDEX TABLE t", Lock.SHARE),
        ("LOCK TABLE t IN SHARE MODE", Lock.SHARE),
        ("CREATE INDEX CONCURRENTLY i ON t (a)", Lock.SHARE_UPDATE_EXCLUSIVE),
        ("ALTER TABLE t VALIDATE CONSTRAINT c", Lock.SHARE_UPDATE_EXCLUSIVE),
        ("ALTER TABLE t ALTER c SET STATISTICS 500", Lock.SHARE_UPDATE_EXCLUSIVE),
        ("ANALYZE t", Lock.SHARE_UPDATE_EXCLUSIVE),
        ("ALTER TABLE p DETACH PARTITION c CONCURRENTLY", Lock.SHARE_UPDATE_EXCLUSIVE),
        ("UPDATE t SET a = 1", Lock.ROW_EXCLUSIVE),
        ("LOCK TABLE t IN ROW SHARE MODE", Lock.ROW_SHARE),
        ("SELECT * FROM t", Lock.ACCESS_SHARE),
        ("CREATE TABLE t (id int)", Lock.NONE),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", Lock.NONE),
        ("SET lock_timeout TO '1s'", Lock.NONE),
    ],
)
def test_lock_levels(sql: str, lock: Lock) -> None:
    [statement] = parse(sql)
    assert statement.lock is lock


def test_lock_reads_as_postgresql_names_it() -> None:
    assert str(Lock.SHARE_UPDATE_EXCLUSIVE) == "SHARE UPDATE EXCLUSIVE"
    assert Lock.SHARE.blocks_writes and not Lock.SHARE_UPDATE_EXCLUSIVE.blocks_writes
    assert Lock.ACCESS_EXCLUSIVE.blocks_reads and not Lock.EXCLUSIVE.blocks_reads


def test_the_linter_asks_a_lock_timeout_only_of_locks_that_block_writes() -> None:
    operation = OperationSQL(
        0,
        "op",
        statements=[
            "ALTER TABLE t SET (autovacuum_enabled = false)",
            "LOCK TABLE t IN ACCESS SHARE MODE",
            "ALTER TABLE t DISABLE TRIGGER tr",
        ],
    )
    capture = MigrationCapture("app", "0002", "1", False, {}, [operation])
    [finding] = lint_migrations([capture])
    assert finding.rule == "ZDT110"
    assert finding.message.startswith("alter table on t takes SHARE ROW EXCLUSIVE without")


def test_a_not_null_constraint_needs_a_proof_unless_added_not_valid() -> None:
    assert [f.rule for f in lint("ALTER TABLE t ADD CONSTRAINT n NOT NULL x")] == ["ZDT103"]
    assert lint("ALTER TABLE t ADD CONSTRAINT n NOT NULL x NOT VALID") == []


# PL/pgSQL trigger bodies.


def test_columns_a_trigger_body_assigns_through_new() -> None:
    body = """
        DECLARE x int;
        BEGIN
            NEW."Name" := lower(NEW.name);  -- NEW.in_comment := 1
            IF NEW.a IS NULL THEN new.B := 1; END IF;
            OLD.c := 1;
            x := 2;
            RAISE NOTICE 'NEW.in_string := 1';
            RETURN NEW;
        END
    """
    assert assigned_new_columns(body) == {"Name", "b"}
    assert assigned_new_columns("SELECT 1") == set()


def test_each_lock_mode_is_named_as_pg_locks_names_it() -> None:
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute("CREATE TEMP TABLE zdt_lock_names (id int)")
        for lock in Lock:
            if lock is Lock.NONE:
                continue
            conn.execute(f"LOCK TABLE zdt_lock_names IN {lock} MODE")
            modes = conn.execute(
                "SELECT mode FROM pg_locks WHERE pid = pg_backend_pid()"
                " AND relation = 'zdt_lock_names'::regclass"
            ).fetchall()
            assert (lock.lock_mode_name,) in modes, (lock, modes)
