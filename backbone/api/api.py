"""The REST API, version 1, mounted at ``/api/v1/`` (``docs/api.md``).

One ``NinjaAPI`` with one router per app. Every error answers ``{"detail": "<plain message>"}``
(with ``errors`` listing the fields for a malformed request): domain exceptions are mapped here,
once. The reference at ``/api/v1/docs`` is rendered on the server from the OpenAPI schema
(``api/reference.py``): an ordinary accessible page, offline, under the site's Content Security
Policy.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from backbone.api import core, insights, measurement
from backbone.api.lookups import NotFound
from backbone.api.reference import ApiReference
from backbone.core.errors import ConflictError, DomainError

DESCRIPTION = """\
Backbone's shared-measurement data for programs: initiatives, indicators, places, dimensions,
periods, observations (read and batch upsert) and aggregated series.

**Authentication.** Send `Authorization: Bearer <token>` (an operator issues tokens with
`backbone create-api-token --email EMAIL --name NAME`). A signed-in browser may read (GET)
without a token. Without either you see what the public pages show. Changes need a token.

**Errors** answer `{"detail": "plain message"}`. Numbers are exact decimals written as strings.
"""

api = NinjaAPI(
    title="Backbone API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    # Our own server-rendered reference page (accessible, no JavaScript) instead of Swagger UI.
    docs=ApiReference(),
)
api.add_router("", core.router)
api.add_router("", measurement.router)
api.add_router("", insights.router)

# Last: any other address under /api/v1/ answers in JSON too, not with the HTML error page.
fallback = Router(auth=None)


@fallback.get("/", include_in_schema=False)
def index(request: HttpRequest) -> dict[str, str]:
    """Where to start: the documentation and the schema."""
    return {"docs": "/api/v1/docs", "openapi": "/api/v1/openapi.json"}


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False
)
def unknown_endpoint(request: HttpRequest, rest: str) -> None:
    raise NotFound(
        _("There is no API endpoint “%(path)s”. The list is at %(docs)s.")
        % {"path": request.path, "docs": "/api/v1/docs"}
    )


api.add_router("", fallback)


def _detail(request: HttpRequest, status: int, detail: str, **extra: object) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message
    if message == AuthenticationError().message:  # ninja's default: nobody signed in
        message = _(
            "Sign in first: send an API token as “Authorization: Bearer <token>”. Changes always "
            "need a token."
        )
    response = _detail(request, 401, message)
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = exc.message
    if exc.status_code == 400 and message == "Cannot parse request body":  # ninja's words
        message = _("The request body is not valid JSON.")
    return _detail(request, exc.status_code, message)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e["type"]}
        for e in exc.errors
    ]
    first = errors[0] if errors else {"loc": [], "msg": ""}
    # ("body", "payload", "rows", 3, "value") → "rows.3.value": what the client wrote.
    where = ".".join(p for p in first["loc"] if p not in {"body", "payload", "query", "filters"})
    detail = _("The request is not valid: %(where)s: %(problem)s.") % {
        "where": where or _("request"),
        "problem": str(first["msg"]).rstrip("."),
    }
    return _detail(request, 422, detail, errors=errors)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _detail(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _detail(request, 403, _("You may not do this."))


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return _detail(request, 409, exc.message)


@api.exception_handler(DomainError)
def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return _detail(request, 422, exc.message)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _detail(
        request,
        413,
        _("The request body is too large. Send fewer rows per request."),
    )
