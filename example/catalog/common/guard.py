"""The schema extension that guards every operation of every release.

- Parsing is cached (an LRU of documents) and stops at ``CATALOG_MAX_TOKENS`` tokens.
- Before graphql-core validates anything, the document's cost (catalog.common.budget) is
  checked: over budget, the answer is ``QUERY_TOO_COMPLEX`` and nothing is validated or run.
- Validation is cached per document; introspection is refused unless ``CATALOG_INTROSPECTION``.
- Execution: every SQL statement of the request runs before the request's deadline
  (``CATALOG_REQUEST_SECONDS``), and a cancelled statement (``statement_timeout``) is answered
  with ``QUERY_TIMEOUT``. A mutation operation runs in one transaction, rolled back when any
  error is returned (then ``data`` is null): a request's writes are all or nothing. An operation
  of one mutation field marked ``ONE_STATEMENT`` runs without one: its write is a single
  statement, which is a transaction by itself (``BEGIN`` and ``COMMIT`` would be two more round
  trips), and its payload is plain values, so nothing can fail after it.
- Errors: server errors are masked (``Internal error.``), as strawberry's ``MaskErrors`` masks
  them; the guard is that extension too, which saves a second set of hooks on every request.
- All of it runs in one hook, ``on_operation``: strawberry sets up and enters a context manager
  for every hook of an extension on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import psycopg
from django.db import OperationalError, connection, transaction
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    get_operation_ast,
    parse,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaskErrors
from strawberry.schema.schema import validate_document
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext

from catalog.common import budget
from catalog.common.errors import MASKED_MESSAGE, ApiError, ErrorCode, is_unexpected
from catalog.common.limits import ApiLimits, limits
from catalog.common.pagination import DEFAULT_PAGE_SIZE

CACHED_DOCUMENTS = 256
TOKEN_LIMIT_MESSAGE = "Document contains more than"
_ONE_STATEMENT = "catalog.one_statement"
ONE_STATEMENT = {_ONE_STATEMENT: True}
"""Field metadata of a mutation whose write is one statement, the last SQL its resolver runs
(statements before it may only reserve, as a slug number), and whose payload is plain values."""


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _parse(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validate(
    schema: GraphQLSchema, query: str, max_tokens: int, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """Validate the (cached) document of ``query``: keyed by its text, hashed once."""
    return validate_document(schema, _parse(query, max_tokens), rules)


def _coded(error: GraphQLError, code: ErrorCode) -> GraphQLError:
    """Give a GraphQL error without a code ``code`` (validation and input errors)."""
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code.value}
    return error


def too_complex(what: str) -> ApiError:
    """Return the ``QUERY_TOO_COMPLEX`` error of a document over one of its limits."""
    return ApiError(ErrorCode.QUERY_TOO_COMPLEX, f"The query {what}.")


def _parsed(query: str, max_tokens: int) -> DocumentNode:
    """Return the (cached) document of ``query``, or raise its coded error."""
    try:
        return _parse(query, max_tokens)
    except GraphQLSyntaxError as exc:
        if TOKEN_LIMIT_MESSAGE in exc.message:
            raise too_complex(f"has more than {max_tokens} tokens") from None
        exc.extensions = {"code": ErrorCode.GRAPHQL_PARSE_FAILED.value}
        raise
    except RecursionError:
        raise too_complex("is nested too deeply") from None


def _checked(context: ExecutionContext, query: str, current: ApiLimits) -> list[GraphQLError]:
    """Return the errors of the parsed document: over budget, else (cached) validation's."""
    document = context.graphql_document
    assert document is not None
    try:
        cost = budget.measure(document, context.variables, current, DEFAULT_PAGE_SIZE)
        budget.check(cost, current)
    except ApiError as exc:
        return [exc]
    rules = tuple(context.validation_rules)
    errors = _validate(context.schema._schema, query, current.max_tokens, rules)
    return [_coded(error, ErrorCode.GRAPHQL_VALIDATION_FAILED) for error in errors]


def _mutation(context: ExecutionContext) -> OperationDefinitionNode | None:
    """Return the operation to run if it is a mutation (none when it will not run)."""
    document = context.graphql_document
    if document is None or context.pre_execution_errors:
        return None
    operation = get_operation_ast(document, context.operation_name)
    return operation if operation and operation.operation is OperationType.MUTATION else None


def runs_alone(operation: OperationDefinitionNode, schema: GraphQLSchema) -> bool:
    """Return True for a mutation ``operation`` of one field marked ``ONE_STATEMENT``, bare."""
    selections = operation.selection_set.selections
    if len(selections) != 1 or not isinstance(selections[0], FieldNode) or selections[0].directives:
        return False
    assert schema.mutation_type is not None
    field = schema.mutation_type.fields.get(selections[0].name.value)
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF) if field else None
    return bool(getattr(definition, "metadata", {}).get(_ONE_STATEMENT))


class SqlDeadline:
    """An execute wrapper: no statement after the deadline, a cancelled one is a timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if time.monotonic() > self.deadline:
            raise self.timeout()
        try:
            return execute(sql, params, many, context)
        except OperationalError as exc:
            if isinstance(exc.__cause__, psycopg.errors.QueryCanceled):
                raise self.timeout() from exc
            raise

    def timeout(self) -> ApiError:
        """Return the ``QUERY_TIMEOUT`` error."""
        return ApiError(
            ErrorCode.QUERY_TIMEOUT,
            f"The request took longer than its limit ({self.seconds:g} s or one statement's"
            " timeout); nothing was written.",
        )


class OperationGuard(MaskErrors):
    """Limit, cache and time-box each operation; make mutations all-or-nothing; mask errors."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=MASKED_MESSAGE)

    def on_operation(self) -> Iterator[None]:
        """Guard the whole operation: limits, caches, deadline, transaction; mask server errors.

        Everything happens in this one hook: strawberry builds and enters a context manager for
        every hook of every request, and skips its own parsing and validation once the document
        and its errors are set. A document that does not parse raises its coded error, which
        strawberry answers with ``data`` null.
        """
        current = limits()
        context = self.execution_context
        if not current.introspection:
            context.validation_rules = (
                *context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        if context.query:  # without one, strawberry refuses the request as malformed
            context.graphql_document = _parsed(context.query, current.max_tokens)
            context.pre_execution_errors = _checked(context, context.query, current)
        mutation = _mutation(context)
        with connection.execute_wrapper(SqlDeadline(current.request_seconds)):
            if mutation is None or runs_alone(mutation, context.schema._schema):
                yield
            else:
                with transaction.atomic():
                    yield
                    if context.result is None or context.result.errors:
                        transaction.set_rollback(True)
        result = context.result
        if result is not None and result.errors:
            if mutation is not None:
                result.data = None
            result.errors = [self._answered(error) for error in result.errors]

    def _answered(self, error: GraphQLError) -> GraphQLError:
        """Return ``error`` as answered: a variable's bad value coded, a server error masked."""
        if error.path is None:  # a variable's value that does not fit its type
            _coded(error, ErrorCode.BAD_USER_INPUT)
        # What MaskErrors.on_operation does, without its costly protocol check.
        return self.anonymise_error(error) if self.should_mask_error(error) else error
