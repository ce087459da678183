"""The API examples ``zdt demo`` prints: built from a release's schema, checked on its server.

Each example is one GraphQL call. They are printed as ``curl`` commands that run as they are in
a shell (the created product's id is kept in ``$ID`` for the calls after it, so no id depends
on an earlier run), and run against the server before they are printed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLSchema, build_schema

from zerodowntime.waiting import WaitTimeout, wait_until

SDL_DIR = Path(__file__).resolve().parent / "releases" / "sdl"
ID_PLACEHOLDER = "__ID__"
KEEP_ID = (
    "python3 -c 'import json, sys;"
    ' print(json.load(sys.stdin)["data"]["{field}"]["product"]["id"])\''
)


class ExampleError(RuntimeError):
    """An example did not work against the server."""


@dataclass(frozen=True)
class Example:
    """One GraphQL call: what it shows, its document, and how it is sent."""

    comment: str
    query: str
    uses_id: bool = False
    needs_token: bool = False
    keeps_id: str | None = None  # the mutation whose product id is kept in $ID
    error_code: str | None = None  # the error the call must get (a refused call)

    def body(self, product_id: str = ID_PLACEHOLDER) -> dict[str, Any]:
        """Return the JSON body of the request."""
        body: dict[str, Any] = {"query": self.query}
        if self.uses_id:
            body["variables"] = {"id": product_id}
        return body


def release_schema(version: str) -> GraphQLSchema:
    """Return the GraphQL schema of ``version`` from its committed SDL snapshot."""
    path = SDL_DIR / f"{version}.graphql"
    if not path.exists():
        raise ExampleError(f"no GraphQL schema snapshot for release {version} ({path})")
    return build_schema(path.read_text())


def _fields(schema: GraphQLSchema) -> str:
    product = schema.get_type("Product")
    assert isinstance(product, GraphQLObjectType)
    return " ".join(name for name, field in product.fields.items() if not field.deprecation_reason)


def _create_arguments(schema: GraphQLSchema) -> str:
    mutation = schema.mutation_type
    assert mutation is not None
    given = {"name": '"Lamp"', "description": '{color: "red"}'}
    arguments = mutation.fields["productCreate"].args
    missing = [
        name
        for name, arg in arguments.items()
        if isinstance(arg.type, GraphQLNonNull) and arg.default_value is None and name not in given
    ]
    if missing:
        raise ExampleError(f"productCreate needs {', '.join(missing)}: no example for it")
    return ", ".join(f"{name}: {value}" for name, value in given.items() if name in arguments)


def build_examples(schema: GraphQLSchema) -> list[Example]:
    """Return the examples of a release: list, create, fetch, update, delete, refused create."""
    fields = _fields(schema)
    create = f"productCreate({_create_arguments(schema)})"
    return [
        Example(
            "list, a page at a time (a relay connection ordered by id)",
            "{ products(first: 3) { edges { node { id name } }"
            " pageInfo { hasNextPage endCursor } } }",
        ),
        Example(
            "create (mutations need the token); the new product's id is kept in $ID",
            f"mutation {{ {create} {{ product {{ {fields} }} }} }}",
            needs_token=True,
            keeps_id="productCreate",
        ),
        Example(
            "fetch by id (queries are public)",
            f"query($id: ID!) {{ product(id: $id) {{ {fields} }} }}",
            uses_id=True,
        ),
        Example(
            "update",
            'mutation($id: ID!) { productUpdate(id: $id, name: "Desk lamp")'
            " { product { id name } } }",
            uses_id=True,
            needs_token=True,
        ),
        Example(
            "delete (returns the deleted product with its id)",
            "mutation($id: ID!) { productDelete(id: $id) { product { id name } } }",
            uses_id=True,
            needs_token=True,
        ),
        Example(
            "without a token: refused with code UNAUTHENTICATED, nothing written",
            f"mutation {{ {create} {{ product {{ id }} }} }}",
            error_code="UNAUTHENTICATED",
        ),
    ]


def _curl(example: Example) -> str:
    data = json.dumps(example.body()).replace(f'"{ID_PLACEHOLDER}"', '"\'"$ID"\'"')
    headers = "-H 'Content-Type: application/json'"
    if example.needs_token:
        headers += ' -H "Authorization: Bearer $TOKEN"'
    command = f"curl -s -w '\\n' \"$URL\" {headers} \\\n  -d '{data}'"
    if example.keeps_id:
        keep = KEEP_ID.format(field=example.keeps_id)
        return f"ID=$({command} \\\n  | tee /dev/stderr | {keep})"
    return command


def render(examples: list[Example], *, url: str, token: str, indent: str = "") -> str:
    """Return the examples as shell commands (``TOKEN`` and ``URL`` set first)."""
    lines = [f"TOKEN={token}", f"URL={url}"]
    for example in examples:
        lines += ["", f"# {example.comment}", *_curl(example).splitlines()]
    return "\n".join(indent + line if line else line for line in lines)


def check(examples: list[Example], *, url: str, token: str, timeout: float = 30.0) -> None:
    """Run every example against the server at ``url``; raise ExampleError on the first failure."""
    product_id = ""
    with httpx.Client(timeout=timeout) as client:
        for example in examples:
            headers = {"Authorization": f"Bearer {token}"} if example.needs_token else {}
            response = client.post(url, json=example.body(product_id), headers=headers)
            answer = response.json() if response.status_code == 200 else {}
            codes = [e.get("extensions", {}).get("code") for e in answer.get("errors", [])]
            if example.error_code:
                ok = codes == [example.error_code]
            else:
                ok = "errors" not in answer and bool(answer.get("data"))
            if not ok:
                raise ExampleError(
                    f"the example '{example.comment}' failed: HTTP {response.status_code},"
                    f" {response.text[:300]}"
                )
            if example.keeps_id:
                product_id = answer["data"][example.keeps_id]["product"]["id"]


def wait_serving(health_url: str, *, alive: Callable[[], bool], timeout: float = 120.0) -> None:
    """Wait until ``health_url`` answers 200; raise ExampleError if the server exits first."""

    def answers() -> bool:
        if not alive():
            raise ExampleError("the server exited before it answered")
        try:
            return httpx.get(health_url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(
            answers, timeout=timeout, interval=0.2, what=f"the server did not answer {health_url}"
        )
    except WaitTimeout as exc:
        raise ExampleError(str(exc)) from None
