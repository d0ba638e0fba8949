"""Who may see the data quality page (merged into the matrix by ``test_route_matrix``).

It is the backbone's (``Action.REVIEW_DATA``), like the review queue: partners get 403, people
outside a private initiative 404, and on the public initiative P only its manager (here the
superuser) may see it.
"""

from __future__ import annotations

from tests.security.matrix import A_ADMIN, P_ADMIN, Page, initiative_pages

EXPECTED: dict[str, list[Page]] = {
    "measurement:quality": initiative_pages(A_ADMIN, P_ADMIN, form=False),
}
