"""Who may use the results pages (merged into the matrix by ``test_route_matrix``)."""

from __future__ import annotations

from tests.security.matrix import (  # noqa: F401
    A_ADMIN,
    A_VIEW,
    EVERYONE,
    P_ADMIN,
    Page,
    initiative_pages,
    who,
)

EXPECTED: dict[str, list[Page]] = {}
EXPECTED["measurement:dashboard"] = initiative_pages(A_VIEW, EVERYONE, form=False)
