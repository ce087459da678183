"""URLs: the GraphQL endpoint of the running release, GraphiQL's assets and the health checks."""

from django.conf import settings
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from catalog.common.view import GuardedGraphQLView
from catalog.graphiql.views import ASSETS_PATH, OfflineGraphQLView, asset
from catalog.releases.manifest import MANIFEST

schema = MANIFEST.get(settings.ZDT_RELEASE).module("api").schema


class CatalogGraphQLView(GuardedGraphQLView, OfflineGraphQLView):
    """The API (bounded, coded HTTP errors) with GraphiQL served from this server."""


urlpatterns = [
    path("graphql/", csrf_exempt(CatalogGraphQLView.as_view(schema=schema))),
    path(f"{ASSETS_PATH}<str:name>", asset),
    # Liveness at /health/, readiness (the database answers) at /health/ready/.
    path("health/", include("zerodowntime.deploy.urls")),
]
