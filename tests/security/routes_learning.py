"""Who may use the learning agenda's pages (merged into the matrix by ``test_route_matrix``).

* The learning agenda is internal: everyone who takes part reads it. In private initiative A,
  anonymous people are sent to sign in and B's admin is told A does not exist; in public
  initiative P, where nobody here but the superuser takes part, the others get 403.
* Adding and editing learning questions and improvement cycles is the backbone's: A's admins
  (and the superuser); everyone else who takes part gets 403.
"""

from __future__ import annotations

from datetime import date

from backbone.agenda.models import ImprovementCycle, LearningQuestion
from backbone.core.models import Initiative
from tests.security.conftest import A_PARTICIPANTS, World
from tests.security.matrix import A_ADMIN, P_ADMIN, Fill, Page, initiative_pages, who

A_TAKING_PART = who(
    ok=A_PARTICIPANTS - {"anonymous"}, login={"anonymous"}, hidden={"other_initiative_admin"}
)
P_TAKING_PART = who(ok={"superuser"}, login={"anonymous"})


def _initiative(w: World, s: str) -> Initiative:
    return {"a": w.a, "p": w.p}[s]


def question(s: str) -> Fill:
    def fill(w: World) -> dict[str, object]:
        made, _ = LearningQuestion.objects.get_or_create(
            initiative=_initiative(w, s), question="A question?", asked_on=date(2023, 1, 1)
        )
        return {"slug": s, "pk": made.pk}

    return fill


def cycle(s: str) -> Fill:
    def fill(w: World) -> dict[str, object]:
        made, _ = ImprovementCycle.objects.get_or_create(
            initiative=_initiative(w, s), title="A cycle", started_on=date(2023, 1, 1)
        )
        return {"slug": s, "pk": made.pk}

    return fill


def on_a_and_p(make) -> list[Page]:
    return [Page("A", make("a"), A_ADMIN, A_ADMIN), Page("P", make("p"), P_ADMIN, P_ADMIN)]


EXPECTED: dict[str, list[Page]] = {
    "agenda:learning": initiative_pages(A_TAKING_PART, P_TAKING_PART, form=False),
    "agenda:question_create": initiative_pages(A_ADMIN, P_ADMIN, form=True),
    "agenda:question_edit": on_a_and_p(question),
    "agenda:cycle_create": initiative_pages(A_ADMIN, P_ADMIN, form=True),
    "agenda:cycle_edit": on_a_and_p(cycle),
}
