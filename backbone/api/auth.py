"""Who is calling: an API token, a signed-in browser (reading only), or nobody.

* ``Authorization: Bearer <token>`` works for every request. A header that is present but wrong
  (unknown, revoked, or its owner deactivated) is refused with 401 at once — it never falls back
  to anonymous access, so a broken client fails loudly instead of seeing only public data.
* A browser's Django session is accepted for GET requests only. Changes need a token, so the API
  never acts on a cookie a browser sent along by itself and needs no CSRF token.
* Nobody: GET requests may go on anonymously and see what the public pages show.

``request.auth`` holds the acting user (``AnonymousUser`` for nobody); ``request.api_token`` the
token when one was used.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from backbone.api.services import api_token_use
from backbone.core.models import User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerToken(HttpBearer):
    """An API token in the ``Authorization`` header (issued by ``backbone create-api-token``)."""

    def __call__(self, request: HttpRequest) -> User | None:
        header = request.headers.get(self.header)
        if header is None:
            return None
        scheme, _space, secret = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise AuthenticationError(
                message=_("Send the token as “Authorization: Bearer <token>”.")
            )
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = api_token_use(token)
        if found is None:
            raise AuthenticationError(
                message=_(
                    "This API token is not valid: it is mistyped, it was revoked, or its owner "
                    "can no longer sign in."
                )
            )
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionRead(APIKeyCookie):
    """A signed-in browser's session — for reading (GET) only."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)  # never used for a request that changes anything

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if request.method in SAFE_METHODS and user.is_authenticated and user.is_active:
            return getattr(user, "_wrapped", user)  # the User itself, not its lazy wrapper
        return None


def anonymous(request: HttpRequest) -> AnonymousUser | None:
    """Anyone may read what the public pages show."""
    return AnonymousUser() if request.method in SAFE_METHODS else None


# Reading: a token, a browser session, or nobody. Writing: a token only.
READ = [BearerToken(), SessionRead(), anonymous]
WRITE = [BearerToken()]
