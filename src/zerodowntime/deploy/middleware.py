"""Tell clients which release served their request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zerodowntime import conf

RELEASE_HEADER = "X-ZDT-Release"


class ReleaseHeaderMiddleware:
    """Add the ``X-ZDT-Release`` header (the release this process runs) to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.release = conf.release_version()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response[RELEASE_HEADER] = self.release
        return response
