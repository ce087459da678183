"""The GraphQL view's HTTP layer: every malformed request gets a JSON error with a code.

A request that does not reach GraphQL execution is answered with its HTTP status (400, 404,
405 or 413) and ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``:

- ``BODY_TOO_LARGE`` (413): more than ``CATALOG_MAX_BODY_BYTES`` bytes.
- ``INVALID_BODY`` (400): not UTF-8, not JSON (NaN and Infinity are not JSON), nested deeper
  than ``CATALOG_MAX_BODY_DEPTH``, or not a JSON object (a batch is not accepted either).
- ``BAD_REQUEST`` (400): a JSON object that is not a GraphQL request: ``query`` or
  ``operationName`` not a string, ``variables`` not an object, no query, an unknown operation,
  a mutation sent with GET, a content type other than JSON.
- ``METHOD_NOT_ALLOWED`` (405), ``NOT_FOUND`` (404: GraphiQL asked for while it is off).
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from strawberry.django.views import GraphQLView, TemporalHttpResponse
from strawberry.http import GraphQLRequestData

from catalog.common.errors import ErrorCode
from catalog.common.limits import limits

STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.BODY_TOO_LARGE,
}


class RequestError(HTTPException):
    """A request refused before execution, with its documented code."""

    def __init__(self, status_code: int, code: ErrorCode, reason: str) -> None:
        super().__init__(status_code, reason)
        self.code = code


def error_response(status: int, code: ErrorCode, message: str) -> JsonResponse:
    """Return the JSON answer of a refused request."""
    body = {"errors": [{"message": message, "extensions": {"code": code.value}}]}
    return JsonResponse(body, status=status)


def _invalid(reason: str) -> RequestError:
    return RequestError(400, ErrorCode.INVALID_BODY, reason)


def _refuse_constant(name: str) -> Any:
    raise _invalid(f"The body is not JSON: {name} is not a JSON number.")


def _check_depth(value: Any, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth`` (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise _invalid(f"The body is nested more than {max_depth} levels deep.")
            stack.extend((child, depth + 1) for child in _children(item))


def _children(item: dict[str, Any] | list[Any]) -> Any:
    return item.values() if isinstance(item, dict) else item


def decode_body(data: str | bytes, max_depth: int) -> dict[str, Any]:
    """Return a JSON object (a request body, or a GET parameter), or raise ``INVALID_BODY``."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("The body is not UTF-8.") from None
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise _invalid(f"The body is nested more than {max_depth} levels deep.") from None
    except ValueError as exc:
        raise _invalid(f"The body is not JSON ({exc}).") from None
    _check_depth(value, max_depth)
    if not isinstance(value, dict):
        raise _invalid("The body must be a JSON object with a `query`.")
    return value


def _too_large(max_bytes: int) -> RequestError:
    return RequestError(413, ErrorCode.BODY_TOO_LARGE, f"At most {max_bytes} bytes are accepted.")


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _invalid("Content-Length is not a number.") from None


class SubResponse(TemporalHttpResponse):
    """Strawberry's sub-response (what resolvers set on ``info.context.response``), made cheaper.

    Strawberry's is a ``JsonResponse({})``, which encodes its empty body with Django's JSON
    encoder on every request; this one starts with that body already encoded.
    """

    def __init__(self) -> None:
        HttpResponse.__init__(self, b"{}", content_type="application/json")


class GuardedGraphQLView(GraphQLView):  # type: ignore[type-arg]
    """Strawberry's view with bounded bodies, coded HTTP errors and a GraphiQL switch."""

    def get_sub_response(self, request: HttpRequest) -> TemporalHttpResponse:
        """Return the response whose headers, status and cookies resolvers may set."""
        return SubResponse()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """Answer the request; refuse a malformed one with a JSON error and its code."""
        current = limits()
        self.graphql_ide = "graphiql" if current.graphiql else None
        try:
            if _content_length(request) > current.max_body_bytes:
                raise _too_large(current.max_body_bytes)
            try:
                return self.run(request=request)
            except RequestDataTooBig:
                raise _too_large(current.max_body_bytes) from None
        except RequestError as exc:
            return error_response(exc.status_code, exc.code, exc.reason)
        except HTTPException as exc:
            code = STATUS_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
            return error_response(exc.status_code, code, exc.reason)

    def decode_json(self, data: str | bytes) -> object:
        """Decode a request body (or a GET parameter) strictly."""
        return decode_body(data, limits().max_body_depth)

    def parse_http_body(self, request: Any) -> Any:
        """Parse the body; refuse an ``operationName`` that is not a string."""
        try:
            if self._is_plain_json_post(request.request):
                parsed = self._parse_json_post(request.request)
            else:
                parsed = super().parse_http_body(request)
        except UnicodeDecodeError:
            raise _invalid("The body is not UTF-8.") from None
        if not isinstance(getattr(parsed, "operation_name", None), str | None):
            raise RequestError(
                400, ErrorCode.BAD_REQUEST, "`operationName` must be a string or null."
            )
        return parsed

    def _is_plain_json_post(self, request: HttpRequest) -> bool:
        """Return True for a JSON POST that asks for no streamed answer (the API's requests)."""
        if request.method != "POST" or request.content_type != "application/json":
            return False
        accept = {"accept": request.META.get("HTTP_ACCEPT", "")}
        return self._get_stream_transport_from_headers(accept) is None

    def _parse_json_post(self, request: HttpRequest) -> GraphQLRequestData:
        """Parse a plain JSON POST with strawberry's checks, without its generic request mapping.

        Strawberry's own path builds every header into a mapping, parses the content type again
        and decodes the body twice: a tenth of a small query's CPU.
        """
        data = decode_body(request.body, limits().max_body_depth)
        for key, kind in (
            ("query", "a string"),
            ("variables", "an object"),
            ("extensions", "an object"),
        ):
            value = data.get(key)
            if value is not None and not isinstance(value, str if key == "query" else dict):
                raise HTTPException(
                    400, f"The GraphQL operation's `{key}` must be {kind} or null, if provided."
                )
        return GraphQLRequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
        )
