"""The GraphQL view whose GraphiQL page loads its assets from this server, and the asset view."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.template import Context, Engine
from strawberry.django.views import GraphQLView

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
ASSETS = {
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
}
# The subresource-integrity hashes of the vendored files (vendor/README.md).
INTEGRITY = {
    "js": "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    "css": "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    "react": "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    "react_dom": "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
}
ASSETS_PATH = "graphiql/"
DEFAULT_QUERY = "{\n  products(first: 3) {\n    edges { node { id name } }\n  }\n}\n"
_ENGINE = Engine(dirs=[str(HERE)])


class OfflineGraphQLView(GraphQLView):  # type: ignore[type-arg]
    """Serve the API; on ``GET`` from a browser, a GraphiQL page that needs no internet."""

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        """Return the GraphiQL page, pointing at the assets served by :func:`asset`."""
        page = _ENGINE.get_template("graphiql.html").render(
            Context(
                {
                    "release": settings.ZDT_RELEASE,
                    "assets": f"/{ASSETS_PATH}",
                    "integrity": INTEGRITY,
                    "default_query": json.dumps(DEFAULT_QUERY),
                }
            )
        )
        return HttpResponse(page)


def asset(request: HttpRequest, name: str) -> FileResponse:
    """Return one vendored GraphiQL file (cached by browsers for a day)."""
    if name not in ASSETS:
        raise Http404(name)
    response = FileResponse((VENDOR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response
