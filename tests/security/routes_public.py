"""Who may use the public dashboard (merged into the matrix by ``test_route_matrix``).

A private initiative has no public dashboard, not even for the people who take part in it, and
a private indicator has no public page: the public pages show the public's view to everyone."""

from __future__ import annotations

from tests.security.matrix import EVERYONE, HIDDEN, Fill, Page, initiative_pages, who

NO_ONE = who(rest=HIDDEN)


def indicator(s: str, attribute: str) -> Fill:
    return lambda w: {"slug": s, "code": getattr(w, attribute).code}


def indicator_pages() -> list[Page]:
    return [
        Page("P/public", indicator("p", "p_public_indicator"), EVERYONE),
        Page("P/private", indicator("p", "p_private_indicator"), NO_ONE),
        Page("A/public", indicator("a", "a_public_indicator"), NO_ONE),
    ]


EXPECTED: dict[str, list[Page]] = {
    "public:dashboard": initiative_pages(NO_ONE, EVERYONE, form=False),
    "public:data_csv": initiative_pages(NO_ONE, EVERYONE, form=False),
    "public:indicator": indicator_pages(),
    "public:indicator_csv": indicator_pages(),
}
