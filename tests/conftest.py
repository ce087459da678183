"""Fixtures shared by the whole suite: a GraphQL client and API tokens."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from catalog.tokens.services import token_create
from zerodowntime.scratch import scratch_database, with_database_name
from zerodowntime.subprocesses import zdt_command


class GraphQLClient:
    """Post GraphQL documents to /graphql/ through Django's test client."""

    def __init__(self, client: Client, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the decoded response, asserting HTTP 200 (the API never answers otherwise)."""
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(
            "/graphql/",
            {"query": query, "variables": variables or {}},
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def api_token(db: None) -> str:
    """Return a freshly created valid API token."""
    return token_create(name="test")


@pytest.fixture
def gql(api_token: str) -> GraphQLClient:
    """Return a GraphQL client that sends a valid bearer token."""
    return GraphQLClient(Client(), api_token)


@pytest.fixture
def anonymous_gql(db: None) -> GraphQLClient:
    """Return a GraphQL client that sends no token."""
    return GraphQLClient(Client())


@pytest.fixture
def scratch_env() -> Iterator[dict[str, str]]:
    """Return the environment of a `zdt` child process on an empty scratch database."""
    name = f"zdt_scratch_{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if k not in {"ZDT_RELEASE", "ZDT_PROCESS_ROLE"}}
    with scratch_database(os.environ["DATABASE_URL"], name):
        env["DATABASE_URL"] = with_database_name(os.environ["DATABASE_URL"], name)
        env["CATALOG_LOG_LEVEL"] = "WARNING"
        yield env


ZdtRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def zdt(scratch_env: dict[str, str]) -> ZdtRun:
    """Return a function that runs `zdt ARGS` on the scratch database (stdin closed)."""

    def run(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            zdt_command(*args),
            env=scratch_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    return run


def error_codes(result: dict[str, Any]) -> list[str]:
    """Return the ``extensions.code`` of every error in a GraphQL response."""
    return [error.get("extensions", {}).get("code") for error in result.get("errors", [])]


# The tests this session skipped because they are marked for another release, by release: the
# session of that release (tests/catalog/releases/test_release_sessions.py) runs exactly them.
OTHER_RELEASES = pytest.StashKey[dict[str, list[str]]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked for another release than the one this session runs."""
    from django.conf import settings

    others: dict[str, list[str]] = {}
    for item in items:
        marker = item.get_closest_marker("release")
        if marker and marker.args[0] != settings.ZDT_RELEASE:
            item.add_marker(
                pytest.mark.skip(reason=f"runs in the {marker.args[0]} session (ZDT_RELEASE)")
            )
            others.setdefault(marker.args[0], []).append(item.nodeid)
    config.stash[OTHER_RELEASES] = others
