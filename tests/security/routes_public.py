"""Who may use the public dashboard (merged into the matrix by ``test_route_matrix``).

A private initiative has no public dashboard, not even for the people who take part in it."""

from __future__ import annotations

from tests.security.matrix import EVERYONE, HIDDEN, Page, initiative_pages, who

NO_ONE = who(rest=HIDDEN)

EXPECTED: dict[str, list[Page]] = {
    "public:dashboard": initiative_pages(NO_ONE, EVERYONE, form=False),
}
