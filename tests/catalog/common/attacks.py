"""Documents and bodies of the attacks of issue 14, and how to send them."""

from __future__ import annotations

import base64
import gc
import time
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Product


def fragment_bomb(levels: int = 24) -> str:
    """Return ``{ ...F0 }`` with each fragment spreading the next one twice (951 bytes at 24)."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels - 1)]
    fragments.append(f"fragment F{levels - 1} on Query {{ __typename }}")
    return "{ ...F0 } " + " ".join(fragments)


def aliases(count: int, field: str = "products(first: 100, isPublished: false)") -> str:
    """Return a query with ``count`` aliases of one expensive field."""
    selection = "{ edges { node { id } } }" if field.startswith("products") else "{ description }"
    return "{ " + " ".join(f"a{i}: {field} {selection}" for i in range(count)) + " }"


def global_id(text: str) -> str:
    """Return base64 of ``text`` (for IDs and cursors of any content)."""
    return base64.b64encode(text.encode()).decode()


class Sent:
    """One request sent through Django's test client: answer, time, CPU, SQL, rows added."""

    def __init__(self, client: Client, body: bytes | str, *, token: str | None = None) -> None:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        before = Product.objects.count()
        # A full pass of the garbage collector over the test session's own objects (every
        # collected test, the libraries of the suite) would be counted as the request's CPU: a
        # served worker has its application frozen out of those passes (docs/serving.md).
        gc.collect()
        gc.disable()
        try:
            with CaptureQueriesContext(connection) as queries:
                began, began_cpu = time.perf_counter(), time.thread_time()
                self.response = client.post(
                    "/graphql/", body, content_type="application/json", **headers
                )
                self.seconds = time.perf_counter() - began
                # The server's own cost: the CPU of the thread that served it (the test client
                # serves in this thread), which other jobs on the machine do not stretch.
                self.cpu_seconds = time.thread_time() - began_cpu
        finally:
            gc.enable()
        self.queries = [q["sql"] for q in queries.captured_queries]
        self.rows_added = Product.objects.count() - before

    @property
    def json(self) -> dict[str, Any]:
        """Return the decoded answer."""
        return self.response.json()

    @property
    def codes(self) -> list[str]:
        """Return the ``extensions.code`` of every error."""
        return [e.get("extensions", {}).get("code") for e in self.json.get("errors", [])]
