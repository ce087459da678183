"""Generated queries and mutations against every release's schema (hypothesis-graphql).

Each release's test runs in that release's session. Documents are generated from the release's
own schema with generated arguments (and JSON descriptions of every shape); each is sent through
Django's test client with a valid token. Whatever the input: never an HTTP 500, never
"Internal error.", every error has a documented code, and a response with errors leaves the
table as it was (no partial write).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from catalog.common.errors import ErrorCode
from catalog.releases.manifest import MANIFEST
from catalog.tokens.services import token_create

EXAMPLES = 40
CODES = {code.value for code in ErrorCode}
JSON_LEAVES = st.one_of(
    st.text(max_size=20).map(nodes.String),
    st.integers().map(nodes.Int),
    st.floats(allow_nan=False).map(nodes.Float),
    st.booleans().map(nodes.Boolean),
    st.just(nodes.Null),
)
JSON_NODES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(nodes.List),
        st.dictionaries(
            st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), inner, max_size=4
        ).map(lambda fields: nodes.Object([_field(key, value) for key, value in fields.items()])),
    ),
    max_leaves=12,
)


def _field(name: str, value: object) -> object:
    import graphql

    return graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)


def _table_fingerprint() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(hashtext(p::text)), 0) FROM product_product p"
        )
        count, digest = cursor.fetchone()
    return int(count), int(digest)


@pytest.mark.parametrize(
    "release", [pytest.param(v, marks=pytest.mark.release(v)) for v in MANIFEST.versions]
)
@pytest.mark.django_db
@pytest.mark.timeout(300)
def test_generated_operations_never_fail_the_server(release: str) -> None:
    assert release == settings.ZDT_RELEASE
    sdl = str(MANIFEST.get(release).module("api").schema)
    scalars = {"JSON": JSON_NODES}
    documents = st.one_of(
        queries(sdl, custom_scalars=scalars), mutations(sdl, custom_scalars=scalars)
    )
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_create(name='generated')}"}
    for name in ("Lamp", "Chair"):
        client.post(
            "/graphql/",
            {"query": f'mutation {{ productCreate(name: "{name}") {{ product {{ id }} }} }}'},
            content_type="application/json",
            **headers,
        )

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(document=documents)
    def check(document: str) -> None:
        before = _table_fingerprint()
        response = client.post(
            "/graphql/", {"query": document}, content_type="application/json", **headers
        )
        assert response.status_code != 500, document
        assert response.status_code == 200, (document, response.content[:300])
        body = response.json()
        errors = body.get("errors") or []
        assert all(error["message"] != "Internal error." for error in errors), (document, body)
        codes = {error.get("extensions", {}).get("code") for error in errors}
        assert codes <= CODES, (document, errors)
        if errors and document.lstrip().startswith("mutation"):
            assert _table_fingerprint() == before, (document, errors)

    check()
