"""Who may use the library pages (merged into the matrix by ``test_route_matrix``).

Every library page is the backbone's: in private initiative A its admins get in, anonymous
people are sent to sign in, B's admin is told A does not exist, everyone else gets 403; in
public initiative P only the superuser manages anything."""

from __future__ import annotations

from backbone.agenda.models import Goal, Outcome
from backbone.measurement.models import Dimension
from tests.security.conftest import World
from tests.security.matrix import (  # noqa: F401
    A_ADMIN,
    A_VIEW,
    EVERYONE,
    P_ADMIN,
    POST_ONLY,
    Fill,
    Page,
    initiative_pages,
    who,
)


def _initiative(w: World, s: str):
    return {"a": w.a, "p": w.p}[s]


def indicator(s: str) -> Fill:
    return lambda w: {"slug": s, "code": {"a": "a-priv", "p": "p-priv"}[s]}


def dimension(s: str) -> Fill:
    def fill(w: World) -> dict[str, object]:
        made, _ = Dimension.objects.get_or_create(
            initiative=_initiative(w, s), code="sex", defaults={"name": "Sex"}
        )
        return {"slug": s, "pk": made.pk}

    return fill


def place(s: str) -> Fill:
    return lambda w: {"slug": s, "pk": {"a": w.a_place, "p": w.p_place}[s].pk}


def _goal(w: World, s: str) -> Goal:
    goal, _ = Goal.objects.get_or_create(initiative=_initiative(w, s), title="A goal")
    return goal


def goal(s: str) -> Fill:
    return lambda w: {"slug": s, "pk": _goal(w, s).pk}


def outcome(s: str) -> Fill:
    def fill(w: World) -> dict[str, object]:
        made, _ = Outcome.objects.get_or_create(goal=_goal(w, s), title="An outcome")
        return {"slug": s, "pk": made.pk}

    return fill


def on_a_and_p(make, *, get=True) -> list[Page]:
    return [
        Page("A", make("a"), A_ADMIN if get else POST_ONLY, A_ADMIN),
        Page("P", make("p"), P_ADMIN if get else POST_ONLY, P_ADMIN),
    ]


EXPECTED: dict[str, list[Page]] = {}
EXPECTED["measurement:library"] = initiative_pages(A_ADMIN, P_ADMIN, form=False)
for _name in ("indicator", "dimension", "place", "goal", "outcome"):
    EXPECTED[f"measurement:library_{_name}_create"] = initiative_pages(A_ADMIN, P_ADMIN, form=True)
EXPECTED["measurement:library_indicator_edit"] = on_a_and_p(indicator)
EXPECTED["measurement:library_dimension_edit"] = on_a_and_p(dimension)
EXPECTED["measurement:library_place_edit"] = on_a_and_p(place)
EXPECTED["measurement:library_goal_edit"] = on_a_and_p(goal)
EXPECTED["measurement:library_outcome_edit"] = on_a_and_p(outcome)
EXPECTED["measurement:library_goal_move"] = on_a_and_p(goal, get=False)
EXPECTED["measurement:library_outcome_move"] = on_a_and_p(outcome, get=False)
