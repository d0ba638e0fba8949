"""Who may use the review pages (merged into the matrix by ``test_route_matrix``)."""

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
EXPECTED["measurement:review_queue"] = initiative_pages(A_ADMIN, P_ADMIN, form=False)
