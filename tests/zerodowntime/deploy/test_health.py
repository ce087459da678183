"""Health views: liveness never touches the database, readiness answers 503 without it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from zerodowntime.services import free_port


@pytest.mark.django_db
def test_liveness_answers_without_the_database() -> None:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert queries.captured_queries == []


@pytest.mark.django_db
def test_readiness_runs_a_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1"]


@pytest.mark.django_db(transaction=True)
def test_readiness_is_503_while_the_database_is_unreachable() -> None:
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        response = Client().get("/health/ready/")
        live = Client().get("/health/")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert live.status_code == 200
