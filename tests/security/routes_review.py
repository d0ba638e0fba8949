"""Who may use the review pages (merged into the matrix by ``test_route_matrix``).

Reviewing, deciding, rounds and restoring are the backbone's (``Action.REVIEW_DATA``; opening a
round ``Action.MANAGE_MEASUREMENT``). The history of a partner's value is also open to that
partner's data stewards (``Action.REPORT_DATA`` on its partnership) — read only; the history of
a community-wide value, or of another partner's, is the backbone's alone.
"""

from __future__ import annotations

from backbone.measurement.models import Observation
from tests.security.conftest import World
from tests.security.matrix import (
    A_ADMIN,
    A_X_MANAGERS,
    P_ADMIN,
    POST_ONLY,
    Fill,
    Page,
    initiative_pages,
)


def submission(s: str) -> Fill:
    return lambda w: {"slug": s, "submission_pk": w.x_submission.pk}


def reporting_round(s: str) -> Fill:
    return lambda w: {"slug": s, "round_pk": w.reporting_round.pk}


def _value(w: World, indicator, organization) -> Observation:
    return Observation.objects.get(indicator=indicator, period=w.period, organization=organization)


def value(s: str, which: str, **extra: int) -> Fill:
    """A 2022 value: X's approved one, Y's draft, A's community-wide one, or P's."""

    def fill(w: World) -> dict[str, object]:
        obs = {
            "x": lambda: _value(w, w.a_public_indicator, w.x.organization),
            "y": lambda: _value(w, w.a_public_indicator, w.y.organization),
            "community": lambda: _value(w, w.a_private_indicator, None),
            "p": lambda: _value(w, w.p_public_indicator, None),
        }[which]()
        return {"slug": s, "observation_pk": obs.pk, **extra}

    return fill


EXPECTED: dict[str, list[Page]] = {
    "measurement:review_queue": initiative_pages(A_ADMIN, P_ADMIN, form=False),
    "measurement:review_submission": [Page("A/X", submission("a"), A_ADMIN)],
    "measurement:review_approve": [Page("A/X", submission("a"), POST_ONLY, A_ADMIN)],
    "measurement:review_return": [Page("A/X", submission("a"), POST_ONLY, A_ADMIN)],
    "measurement:review_round": [Page("A", reporting_round("a"), A_ADMIN)],
    "measurement:review_round_remind": [Page("A", reporting_round("a"), POST_ONLY, A_ADMIN)],
    "measurement:review_round_new": initiative_pages(A_ADMIN, P_ADMIN, form=True),
    "measurement:review_history": [
        Page("A/X-value", value("a", "x"), A_X_MANAGERS),
        Page("A/Y-value", value("a", "y"), A_ADMIN),
        Page("A/community-value", value("a", "community"), A_ADMIN),
        Page("P/value", value("p", "p"), P_ADMIN),
    ],
    "measurement:review_restore": [
        Page("A/X-value", value("a", "x", version=1), A_ADMIN, A_ADMIN),
    ],
}
