"""GraphiQL works offline: a browser without network loads it from the server and runs a query."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from catalog.graphiql.views import ASSETS, VENDOR
from tests.browser import OFFLINE, Page

QUERY = "{ products(first: 1) { edges { node { id } } } }"


def test_the_page_names_no_other_host_and_the_assets_are_served_with_their_licence() -> None:
    page = Client().get("/graphql/", HTTP_ACCEPT="text/html").content.decode()
    assert re.search(r"https?://", page) is None, "the page loads something from another host"
    for name, content_type in ASSETS.items():
        assert f'"/graphiql/{name}"' in page
        response = Client().get(f"/graphiql/{name}")
        assert response.status_code == 200 and response["Content-Type"] == content_type
    assert Client().get("/graphiql/settings.py").status_code == 404
    assert {p.name for p in VENDOR.glob("LICENSE-*")} == {
        "LICENSE-graphiql",
        "LICENSE-react",
        "LICENSE-react-dom",
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_graphiql_runs_a_query_with_the_network_blocked(live_server: Any, gql: Any) -> None:
    created = gql.execute('mutation { productCreate(name: "Offline lamp") { product { id } } }')
    server = live_server.url.replace("localhost", "127.0.0.1")
    with Page(OFFLINE) as page:
        page.goto(f"{server}/graphql/")
        page.wait_for("document.querySelector('.graphiql-query-editor .CodeMirror') !== null")
        page.evaluate(
            "document.querySelector('.graphiql-query-editor .CodeMirror')"
            f".CodeMirror.setValue({json.dumps(QUERY)})"
        )
        page.evaluate("document.querySelector('.graphiql-execute-button').click()")
        text = page.wait_for(
            "(document.querySelector('.result-window') || {}).innerText"
            " && document.querySelector('.result-window').innerText.includes('edges')"
            " && document.querySelector('.result-window').innerText"
        )
        loaded = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    result = json.loads(text.replace("\xa0", " "))  # the editor renders indents as NBSP
    node = result["data"]["products"]["edges"][0]["node"]
    assert node["id"] == created["data"]["productCreate"]["product"]["id"]
    assert loaded and all(name.startswith(server) for name in loaded), loaded
