"""A server error is answered "Internal error." and logged with its traceback."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import connection
from django.test import Client

from zerodowntime.services import free_port


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_is_an_internal_error_logged_with_its_traceback() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("strawberry.execution")
    logger.addHandler(handler)
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        response = Client().post(
            "/graphql/",
            json.dumps({"query": "{ products(first: 1) { pageInfo { hasNextPage } } }"}),
            content_type="application/json",
        )
    finally:
        logger.removeHandler(handler)
        connection.close()
        connection.settings_dict["PORT"] = port
    assert response.status_code == 200
    assert [e["message"] for e in response.json()["errors"]] == ["Internal error."]
    assert any(record.exc_info or "Traceback" in str(record.msg) for record in records), records
    assert logger.handlers and not logger.propagate  # the settings' console handler
    assert logging.getLogger("django.request").handlers
