"""Building blocks shared by every release's GraphQL schema."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from catalog.common.errors import is_unexpected
from catalog.common.guard import OperationGuard


@strawberry.type(name="PageInfo", description="Relay pagination information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, cursors: list[str], has_next_page: bool, *, has_previous_page: bool) -> PageInfo:
        """Return the page info of a page whose edges have ``cursors``."""
        return cls(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


class CatalogSchema(strawberry.Schema):
    """A schema that logs server errors only, not the client errors it answers with a code."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log server errors only: a client's mistake (a code, a GraphQL error) is not one."""
        unexpected = [error for error in errors if is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(*, query: type, mutation: type) -> strawberry.Schema:
    """Return a schema with the guard of every release (catalog.common.guard; it masks errors)."""
    return CatalogSchema(query=query, mutation=mutation, extensions=[OperationGuard])
