"""Findings of running the previous release's code on the new schema (``execute_release``).

Each database error the previous release's ORM code met is tied to the migration, among those
added since its ref, that touches the table (and column) PostgreSQL names: the first statement
of the kind the error points to (a dropped column for an undefined column, a NOT NULL for a
not-null violation, ...), else any statement on that table. An error that no added migration
explains, and a model whose operations could not run, are information: the code of that model
is not proven either way.
"""

from __future__ import annotations

from zerodowntime.checks.compat import culprit
from zerodowntime.checks.facts import Execution, MigrationCapture, OperationFailure
from zerodowntime.checks.findings import Finding, Rule, Severity, make_finding
from zerodowntime.checks.rules import short
from zerodowntime.checks.statements import DDL, Kind

OLD_CODE_FAILS = Rule(
    "ZDT206",
    "old-release-code-fails",
    Severity.ERROR,
    "the previous release's own code, run through the ORM on the schema after the new"
    " migrations, got this database error: its servers get it too while the new release is"
    " deployed",
    "keep the schema compatible with the previous release: expand now and contract one release"
    " later (a column it still uses stays; a new NOT NULL column gets a database default,"
    " `db_default=`, or stays nullable until every running release writes it)",
)
NOT_EXERCISED = Rule(
    "ZDT207",
    "old-release-code-not-exercised",
    Severity.INFO,
    "this operation of the previous release's code could not be run or its failure is not"
    " caused by a migration added since, so it is not proven either way",
    "name a factory that makes a valid instance of the model in ZDT_CHECK_FACTORIES",
)
EXECUTION_RULES = (OLD_CODE_FAILS, NOT_EXERCISED)

# SQLSTATE -> the statements that cause it (PostgreSQL's error codes, appendix A).
_CAUSES: dict[str, set[Kind]] = {
    "42703": {Kind.DROP_COLUMN, Kind.RENAME_COLUMN},  # undefined_column
    "42P01": {Kind.DROP_TABLE, Kind.RENAME_TABLE},  # undefined_table
    "23502": {Kind.SET_NOT_NULL, Kind.ADD_COLUMN},  # not_null_violation
    "23505": {Kind.ADD_UNIQUE, Kind.CREATE_INDEX},  # unique_violation
    "23514": {Kind.ADD_CHECK, Kind.VALIDATE},  # check_violation
    "23503": {Kind.ADD_FOREIGN_KEY, Kind.VALIDATE},  # foreign_key_violation
    "42804": {Kind.ALTER_TYPE},  # datatype_mismatch
    "22001": {Kind.ALTER_TYPE},  # string_data_right_truncation
    "22003": {Kind.ALTER_TYPE},  # numeric_value_out_of_range
}
_ANY = set(DDL) | {Kind.DML}


def cause(
    failure: OperationFailure, migrations: list[MigrationCapture]
) -> tuple[str | None, str | None]:
    """Return (migration, statement) of the added migration that causes ``failure``, if any.

    An error whose kind has known causes (a NOT NULL violation, a missing column, a value out of
    range, ...) is blamed only on such a cause, on its column, else on its table; an error of
    another kind (a trigger's exception, ...) on any statement on its column, else its table.
    """
    table, column = failure.table, failure.column
    known = _CAUSES.get(failure.sqlstate or "")
    searches = [(known, column), (known, None)] if known else [(_ANY, column), (_ANY, None)]
    for kinds, where in searches:
        migration, statement = culprit(migrations, table, where, kinds)
        if migration is not None:
            return migration, statement
    return None, None


def execution_findings(
    execution: Execution, version: str, migrations: list[MigrationCapture]
) -> list[Finding]:
    """Return a finding per failed operation and per model ``version``'s code could not run.

    ``migrations`` are those added since ``version``; a finding's release is the release that
    ships the migration causing it.
    """
    owners = {migration.key: migration.release for migration in migrations}
    findings: list[Finding] = []
    created = {f.model for f in execution.failures if f.operation == "create"}
    for failure, others in _same_failures(execution.failures):
        what = f"{version}'s {failure.model} {failure.operation} fails: {failure.error}"
        if failure.operation == "create":
            what += " (so update and delete were not run)"
        if others:
            what += (
                f"; {_listed(others)} {failure.operation} fail the same way, on the same"
                " statement (making the related rows they need)"
            )
        failed_sql = short(failure.sql) if failure.sql else None
        migration, statement = cause(failure, migrations)
        if migration is None:
            message = (
                f"{what}; no migration added since {version} does anything to"
                f" {failure.table} that causes this error (it likely fails on {version}'s"
                " own schema too, with these generated values)"
            )
            findings.append(make_finding(NOT_EXERCISED, message, statement=failed_sql))
            continue
        message = f"{what}; caused by {migration}: {statement}"
        findings.append(
            make_finding(
                OLD_CODE_FAILS,
                message,
                migration=migration,
                statement=failed_sql,
                release=owners.get(migration),
            )
        )
    for model, reason in sorted(execution.skipped.items()):
        if model not in created:
            message = f"{version}'s {model} was not exercised: {reason}"
            findings.append(make_finding(NOT_EXERCISED, message))
    return findings


def _same_failures(
    failures: list[OperationFailure],
) -> list[tuple[OperationFailure, list[str]]]:
    """Return each distinct failure once, with the other models that failed the same way.

    Models whose instances need a related row (a foreign key) fail on that row's INSERT when
    its table is what broke: one finding says so, instead of one per model.
    """
    groups: dict[tuple[str, str, str | None], tuple[OperationFailure, list[str]]] = {}
    for failure in failures:
        key = (failure.operation, failure.error, failure.sql)
        if key in groups:
            groups[key][1].append(failure.model)
        else:
            groups[key] = (failure, [])
    return list(groups.values())


def _listed(models: list[str]) -> str:
    return models[0] if len(models) == 1 else f"{', '.join(models[:-1])} and {models[-1]}"
