"""The cost of a GraphQL document, measured before it is validated or executed.

One walk over the document, linear in its size: each fragment's depth and root fields are
computed once and reused at every spread (a validator that re-walks fragments at each spread
takes time exponential in the nesting of fragments). Rows are what a document can ask the
database for: ``first`` (or the default page size) of every field with a ``first`` argument,
one for every field with an ``id`` argument, each fragment counted once (a fragment spread
twice in one selection is merged by GraphQL, and only root fields read rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

from catalog.common.errors import ApiError, ErrorCode
from catalog.common.limits import ApiLimits


@dataclass(frozen=True)
class Cost:
    """What a document asks for, summed over the whole document."""

    depth: int
    aliases: int
    root_fields: int
    fragment_spreads: int
    rows: int


def _defaults(document: DocumentNode) -> dict[str, Any]:
    """Return the integer default values of the document's variables."""
    defaults: dict[str, Any] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            for variable in definition.variable_definitions or ():
                if isinstance(variable.default_value, IntValueNode):
                    defaults[variable.variable.name.value] = variable.default_value.value
    return defaults


class _Walker:
    """Measure a document: every selection set is visited once."""

    def __init__(
        self, document: DocumentNode, variables: Mapping[str, Any], page_size: int, max_page: int
    ) -> None:
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.variables = dict(_defaults(document))
        self.variables.update(variables)
        self.page_size = page_size
        self.max_page = max_page
        self.depths: dict[str, int] = {}
        self.roots: dict[str, int] = {}
        self.in_progress: set[str] = set()
        self.aliases = self.spreads = self.rows = 0

    def measure(self, document: DocumentNode) -> Cost:
        depth = root_fields = 0
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
                self._count(definition.selection_set)
            if isinstance(definition, OperationDefinitionNode):
                depth = max(depth, self._depth(definition.selection_set))
                root_fields = max(root_fields, self._root_fields(definition.selection_set))
        return Cost(depth, self.aliases, root_fields, self.spreads, self.rows)

    def _count(self, selection_set: SelectionSetNode) -> None:
        """Add the aliases, spreads and rows written in a selection set (not expanded)."""
        stack = [selection_set]
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FragmentSpreadNode):
                    self.spreads += 1
                    continue
                if isinstance(selection, FieldNode):
                    self.aliases += selection.alias is not None
                    self.rows += self._rows(selection)
                if selection.selection_set is not None:
                    stack.append(selection.selection_set)

    def _rows(self, field: FieldNode) -> int:
        arguments = {argument.name.value: argument.value for argument in field.arguments or ()}
        if "first" in arguments:
            return self._int(arguments["first"])
        if "id" in arguments:
            return 1
        return 0

    def _int(self, node: Any) -> int:
        """Return a `first` argument's value; anything invalid counts as the largest page."""
        value: Any = None
        if isinstance(node, IntValueNode):
            value = node.value
        elif isinstance(node, VariableNode):
            value = self.variables.get(node.name.value, self.page_size)
            if value is None:
                return self.page_size
        try:
            number = int(value)
        except (TypeError, ValueError):
            return self.max_page
        return max(0, min(number, self.max_page))

    def _depth(self, selection_set: SelectionSetNode) -> int:
        depth = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                below = selection.selection_set
                depth = max(depth, 1 + self._depth(below) if below else 0)
            elif isinstance(selection, InlineFragmentNode):
                depth = max(depth, self._depth(selection.selection_set))
            else:
                depth = max(depth, self._fragment(selection.name.value, self.depths, self._depth))
        return depth

    def _root_fields(self, selection_set: SelectionSetNode) -> int:
        names: set[str] = set()
        spread = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.add((selection.alias or selection.name).value)
            elif isinstance(selection, InlineFragmentNode):
                spread += self._root_fields(selection.selection_set)
            else:
                spread += self._fragment(selection.name.value, self.roots, self._root_fields)
        return len(names) + spread

    def _fragment(self, name: str, memo: dict[str, int], measure: Any) -> int:
        """Return ``measure`` of fragment ``name``, computed once (cycles and unknowns: 0)."""
        if name in memo:
            return memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return 0  # validation reports unknown fragments and cycles
        self.in_progress.add(name)
        memo[name] = result = measure(definition.selection_set)
        self.in_progress.discard(name)
        return int(result)


def measure(
    document: DocumentNode, variables: Mapping[str, Any] | None, limits: ApiLimits, page_size: int
) -> Cost:
    """Return the cost of ``document`` with the given variable values."""
    walker = _Walker(document, variables or {}, page_size, limits.max_page_size)
    return walker.measure(document)


def check(cost: Cost, limits: ApiLimits) -> None:
    """Raise ``QUERY_TOO_COMPLEX`` naming the first limit ``cost`` exceeds."""
    for what, value, limit in (
        ("is nested {} levels deep", cost.depth, limits.max_query_depth),
        ("has {} aliases", cost.aliases, limits.max_aliases),
        ("has {} root fields", cost.root_fields, limits.max_root_fields),
        ("has {} fragment spreads", cost.fragment_spreads, limits.max_fragment_spreads),
        ("can read {} rows", cost.rows, limits.max_rows),
    ):
        if value > limit:
            raise ApiError(
                ErrorCode.QUERY_TOO_COMPLEX,
                f"The query {what.format(value)}; at most {limit} are allowed.",
            )
