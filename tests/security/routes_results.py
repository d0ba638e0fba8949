"""Who may use the results pages (merged into the matrix by ``test_route_matrix``).

An indicator page and its download follow the indicator: a public indicator of a public
initiative is for everyone; a private indicator only for the people who take part (everyone else
is told it does not exist, as for a private initiative)."""

from __future__ import annotations

from tests.security.conftest import A_PARTICIPANTS
from tests.security.matrix import (  # noqa: F401
    A_ADMIN,
    A_VIEW,
    EVERYONE,
    HIDDEN,
    P_ADMIN,
    Page,
    initiative_pages,
    who,
)

# Nobody in the matrix takes part in P but the superuser.
P_PRIVATE = who(ok={"superuser"}, rest=HIDDEN)


def indicator(slug: str, attribute: str):
    return lambda w: {"slug": slug, "code": getattr(w, attribute).code}


def indicator_pages() -> list[Page]:
    return [
        Page("A/public", indicator("a", "a_public_indicator"), A_VIEW),
        Page("A/private", indicator("a", "a_private_indicator"), A_VIEW),
        Page("P/public", indicator("p", "p_public_indicator"), EVERYONE),
        Page("P/private", indicator("p", "p_private_indicator"), P_PRIVATE),
        # Another initiative's indicator is not found under this one.
        Page("P/B's", indicator("p", "b_indicator"), who(rest=HIDDEN)),
    ]


EXPECTED: dict[str, list[Page]] = {}
EXPECTED["measurement:dashboard"] = initiative_pages(A_VIEW, EVERYONE, form=False)
EXPECTED["measurement:indicator_detail"] = indicator_pages()
EXPECTED["measurement:indicator_download"] = indicator_pages()
# The equity page follows the indicator (every indicator here is split by age).
EXPECTED["measurement:indicator_equity"] = indicator_pages()
PEERS_HIDDEN = who(login={"anonymous"}, rest=HIDDEN)  # sign in first, then "not found"
# Peers: for performance measures, and only for the people who take part (the comparison is the
# partners' own, even for a public indicator); a population measure has no peer page.
EXPECTED["measurement:indicator_peers"] = [
    Page("A/population", indicator("a", "a_public_indicator"), PEERS_HIDDEN),
    Page(
        "A/performance",
        indicator("a", "a_private_indicator"),
        who(ok=A_PARTICIPANTS, login={"anonymous"}, hidden={"other_initiative_admin"}),
    ),
    Page(
        "P/performance",
        indicator("p", "p_public_indicator"),
        who(ok={"superuser"}, login={"anonymous"}),
    ),
    # Not taking part in P is refused first; P's own (the superuser) are told it does not exist.
    Page("P/B's", indicator("p", "b_indicator"), who(login={"anonymous"}, hidden={"superuser"})),
]
