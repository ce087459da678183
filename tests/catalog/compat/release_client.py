"""Run one release's whole API scenario against a database, as a separate process.

Only one release's models can be loaded per process, so the compatibility tests start this
module with ``ZDT_RELEASE=<version>`` and ``DATABASE_URL`` set, feed it a JSON plan on stdin,
and read a JSON result on stdout::

    {"creates": 3, "expect": [<products written earlier>]}
    {"loop_until": "<stop file>", "ready_file": "<touched after each round>", "expect": []}

It creates products with every argument the release knows, reads them back by id and in the
list, updates and deletes one, then reads every product of ``expect`` and compares the values.
Every GraphQL error is reported with the server-side exception that caused it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

import django

RELEASE_FIELDS = {
    "0.1.0": "id name description created",
    "0.1.1": "id name description created slug",
    "0.2.0": "id name description created createdAt slug isPublished",
    "0.3.0": "id name description createdAt slug isPublished",
}
RELEASE_ARGS = {
    "0.1.0": [],
    "0.1.1": ["slug"],
    "0.2.0": ["slug", "isPublished"],
    "0.3.0": ["slug", "isPublished"],
}


class ErrorCapture(logging.Handler):
    """Collect the exceptions strawberry logs for failed resolvers."""

    def __init__(self) -> None:
        super().__init__()
        self.causes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        error = record.msg if isinstance(record.msg, BaseException) else None
        if error is None and record.exc_info:
            error = record.exc_info[1]
        original = getattr(error, "original_error", None) or error
        cause = getattr(original, "__cause__", None) or original
        self.causes.append(f"{type(cause).__name__}: {cause}" if cause else str(record.msg))


class ReleaseClient:
    """Send the release's GraphQL operations through Django's test client."""

    def __init__(self, release: str) -> None:
        from django.test import Client

        from catalog.tokens.services import token_create

        self.release = release
        self.fields = RELEASE_FIELDS[release]
        self.client = Client()
        self.token = token_create(name=f"compat-{release}")
        self.errors: list[dict[str, Any]] = []
        self.capture = ErrorCapture()
        logging.getLogger("strawberry.execution").addHandler(self.capture)

    def execute(self, operation: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one operation; record its errors (with their causes) and return its data."""
        before = len(self.capture.causes)
        response = self.client.post(
            "/graphql/",
            {"query": query, "variables": variables},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
        )
        body = response.json() if response.status_code == 200 else {}
        if response.status_code != 200 or body.get("errors"):
            self.errors.append(
                {
                    "operation": operation,
                    "status": response.status_code,
                    "errors": [e.get("message") for e in body.get("errors", [])],
                    "causes": self.capture.causes[before:],
                }
            )
        return body.get("data") or {}

    def create(self, index: int) -> dict[str, Any] | None:
        """Create one product with every argument this release accepts."""
        args = {"name": f"Compat {self.release} #{index} Żółw", "description": {"n": index}}
        if "slug" in RELEASE_ARGS[self.release] and index % 2 == 0:
            args["slug"] = f"compat-{self.release.replace('.', '-')}-{index}-{time.time_ns()}"
        if "isPublished" in RELEASE_ARGS[self.release]:
            args["isPublished"] = index % 3 != 0
        declared = ", ".join(f"${k}: {TYPES[k]}" for k in args)
        passed = ", ".join(f"{k}: ${k}" for k in args)
        data = self.execute(
            "productCreate",
            f"mutation({declared}) {{ productCreate({passed}) {{ product {{ {self.fields} }} }} }}",
            args,
        )
        return (data.get("productCreate") or {}).get("product")

    def get(self, product_id: str) -> dict[str, Any] | None:
        """Fetch one product by id."""
        query = f"query($id: ID!) {{ product(id: $id) {{ {self.fields} }} }}"
        data = self.execute("product", query, {"id": product_id})
        return data.get("product")

    def scenario(self, creates: int) -> list[dict[str, Any]]:
        """Run the release's whole scenario; return the products it created and kept."""
        created = [p for p in (self.create(i) for i in range(creates)) if p]
        for product in created:
            if self.get(product["id"]) != product:
                self.errors.append({"operation": "product", "mismatch": product["id"]})
        filter_arg = "(first: 5, isPublished: true)" if self.release >= "0.2.0" else "(first: 5)"
        page = "pageInfo { hasNextPage endCursor }"
        nodes = f"edges {{ node {{ {self.fields} }} }}"
        self.execute("products", f"{{ products{filter_arg} {{ {nodes} {page} }} }}", {})
        if created:
            victim = created.pop()
            self.execute(
                "productUpdate",
                'mutation($id: ID!) { productUpdate(id: $id, name: "renamed") { product { id } } }',
                {"id": victim["id"]},
            )
            self.execute(
                "productDelete",
                "mutation($id: ID!) { productDelete(id: $id) { product { id } } }",
                {"id": victim["id"]},
            )
        return created

    def verify(self, expected: list[dict[str, Any]]) -> None:
        """Check that every product written earlier reads back with the same values."""
        for product in expected:
            current = self.get(product["id"])
            if current is None:
                self.errors.append({"operation": "verify", "missing": product["id"]})
                continue
            written_at = product.get("createdAt") or product.get("created")
            read_at = current.get("createdAt") or current.get("created")
            same = (
                current["name"] == product["name"]
                and current["description"] == product["description"]
                and written_at == read_at
            )
            if not same:
                self.errors.append({"operation": "verify", "expected": product, "got": current})


TYPES = {"name": "String!", "description": "JSON", "slug": "String", "isPublished": "Boolean"}


def main() -> None:
    """Read the plan from stdin, run it, print the result as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog.settings")
    django.setup()
    from django.conf import settings

    plan = json.load(sys.stdin)
    client = ReleaseClient(settings.ZDT_RELEASE)
    created: list[dict[str, Any]] = []
    if plan.get("loop_until"):
        stop, ready = Path(plan["loop_until"]), Path(plan["ready_file"])
        while True:
            created += client.scenario(2)
            ready.touch()
            if stop.exists():
                break
    else:
        created = client.scenario(int(plan.get("creates", 3)))
    client.verify(plan.get("expect", []))
    json.dump({"release": client.release, "created": created, "errors": client.errors}, sys.stdout)


if __name__ == "__main__":
    main()
