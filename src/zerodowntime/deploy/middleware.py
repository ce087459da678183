"""Tell clients which release served their request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

RELEASE_HEADER = "X-ZDT-Release"


class ReleaseHeaderMiddleware:
    """Add the ``X-ZDT-Release`` header (``settings.ZDT_RELEASE``) to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.release = str(getattr(settings, "ZDT_RELEASE", ""))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response[RELEASE_HEADER] = self.release
        return response
