"""The building blocks of the permission matrix: outcomes, who gets which, and how a route's
address is filled in. Each area's table lives in ``tests/security/routes_<area>.py`` and is
merged by ``test_route_matrix``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from tests.security.conftest import (
    A_OUTSIDERS,
    A_PARTICIPANTS,
    ADMINS,
    ROLES,
    SIGNED_IN,
    World,
)

OK = "ok"
LOGIN = "login"
FORBIDDEN = "403"
HIDDEN = "404"
NO_GET = "405"
GONE = "410"
UNAUTHENTICATED = "401"
REFUSED = "refused"

LOGIN_PATH = "/accounts/login/"
API = "/api/v1"
# Not pages: the Django admin (its own permission system), the API (below), health and static.
NOT_PAGES = ("django-admin/", "api/v1/", "healthz", "static/")


def who(
    *,
    ok: Iterable[str] = (),
    login: Iterable[str] = (),
    hidden: Iterable[str] = (),
    unauthenticated: Iterable[str] = (),
    rest: str = FORBIDDEN,
) -> dict[str, str]:
    """The outcome for every role: those named get their group's, everyone else ``rest``."""
    table: dict[str, str] = {}
    groups = {OK: ok, LOGIN: login, HIDDEN: hidden, UNAUTHENTICATED: unauthenticated}
    for outcome, roles in groups.items():
        for role in roles:
            assert role in ROLES and role not in table, role
            table[role] = outcome
    return {role: table.get(role, rest) for role in ROLES}


EVERYONE = who(ok=ROLES)
SIGNED_IN_ONLY = who(ok=SIGNED_IN, login={"anonymous"})
NOBODY_GETS = who(rest=NO_GET)
POST_ONLY = who(login={"anonymous"}, rest=NO_GET)  # sign in first, then 405 for a GET
# Initiative A is private: outsiders are told it does not exist.
A_VIEW = who(ok=A_PARTICIPANTS, hidden=A_OUTSIDERS)
A_ADMIN = who(ok=ADMINS, login={"anonymous"}, hidden={"other_initiative_admin"})
A_X_MANAGERS = who(
    ok={"data_steward", *ADMINS}, login={"anonymous"}, hidden={"other_initiative_admin"}
)
# Initiative P is public and nobody but the superuser manages it here.
P_ADMIN = who(ok={"superuser"}, login={"anonymous"})

# --- Pages ----------------------------------------------------------------------------------

Fill = Callable[[World], dict[str, object]]


def nothing(w: World) -> dict[str, object]:
    return {}


def slug(s: str) -> Fill:
    return lambda w: {"slug": s}


def org(s: str, partnership: str) -> Fill:
    return lambda w: {"slug": s, "org_pk": getattr(w, partnership).organization_id}


def member_of(s: str, partnership: str, membership: str) -> Fill:
    return lambda w: {
        "slug": s,
        "org_pk": getattr(w, partnership).organization_id,
        "membership_pk": getattr(w, membership).pk,
    }


def invitation_of(s: str, partnership: str, invitation: str) -> Fill:
    return lambda w: {
        "slug": s,
        "org_pk": getattr(w, partnership).organization_id,
        "invitation_pk": getattr(w, invitation).pk,
    }


@dataclass(frozen=True)
class Page:
    """One way to fill a route's address, who may GET it, and (for forms) who may POST to it."""

    target: str
    fill: Fill
    get: Mapping[str, str]
    post: Mapping[str, str] | None = None


def initiative_pages(a: Mapping[str, str], p: Mapping[str, str], *, form: bool) -> list[Page]:
    return [
        Page("A", slug("a"), a, a if form else None),
        Page("P", slug("p"), p, p if form else None),
    ]
