"""Read PL/pgSQL trigger function bodies with PostgreSQL's own PL/pgSQL parser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pglast
from pglast.parser import ParseError

_QUOTE = "$zdt_body$"


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every JSON object of a PL/pgSQL parse tree, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def assigned_new_columns(body: str) -> set[str]:
    """Return the columns a trigger function body assigns through ``NEW.column := ...``.

    Names come out as PostgreSQL resolves them (unquoted lower case, quoted exact); comments and
    string literals do not count. A body that is not PL/pgSQL assigns nothing.
    """
    source = f"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS {_QUOTE}{body}{_QUOTE}"
    try:
        [tree] = pglast.parse_plpgsql(source)
    except (ParseError, ValueError):
        return set()
    function = tree.get("PLpgSQL_function", {})
    datums = [next(iter(datum.values())) for datum in function.get("datums", [])]
    new = function.get("new_varno", 0)
    columns: set[str] = set()
    for node in _walk(function.get("action")):
        assign = node.get("PLpgSQL_stmt_assign")
        if assign is None:
            continue
        varno = assign.get("varno", 0)
        target = datums[varno] if varno < len(datums) else {}
        if "fieldname" in target and target.get("recparentno", 0) == new:
            columns.add(target["fieldname"])
    return columns
