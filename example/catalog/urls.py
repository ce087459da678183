"""URLs: the GraphQL endpoint of the running release and a health check."""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from catalog.releases.manifest import MANIFEST

schema = MANIFEST.get(settings.ZDT_RELEASE).module("api").schema


def health(request: HttpRequest) -> JsonResponse:
    """Answer with the release this process runs (used by load balancers and the rehearsal)."""
    return JsonResponse({"status": "ok", "release": settings.ZDT_RELEASE})


urlpatterns = [
    path("graphql/", csrf_exempt(GraphQLView.as_view(schema=schema, graphql_ide="graphiql"))),
    path("health/", health),
]
