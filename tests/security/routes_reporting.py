"""Who may use the reporting pages (merged into the matrix by ``test_route_matrix``)."""

from __future__ import annotations

from tests.security.conftest import A_PARTICIPANTS
from tests.security.matrix import Page, initiative_pages, who

A_SIGNED_IN_VIEW = who(
    ok=A_PARTICIPANTS - {"anonymous"}, login={"anonymous"}, hidden={"other_initiative_admin"}
)
P_TAKING_PART = who(ok={"superuser"}, login={"anonymous"})

EXPECTED: dict[str, list[Page]] = {
    "measurement:reporting": initiative_pages(A_SIGNED_IN_VIEW, P_TAKING_PART, form=False),
}
