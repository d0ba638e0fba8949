"""The demo initiative's results framework: two goals, their outcomes, and the indicators that
show each outcome (the HUD count and the sample performance measures)."""

from __future__ import annotations

from backbone.agenda.models import Goal, Outcome
from backbone.core.models import Initiative
from backbone.demo.hud import INDICATOR_CODE
from backbone.demo.performance import EXITS, RETURNS, SERVED

FRAMEWORK = [
    (
        "Homelessness is rare",
        "Fewer Ohioans lose their home in the first place.",
        [
            (
                "Fewer people experience homelessness",
                "The number of people counted as homeless on one January night goes down.",
                [INDICATOR_CODE, SERVED],
            ),
        ],
    ),
    (
        "Homelessness is brief and one-time",
        "People who lose their home move quickly into a stable one, and keep it.",
        [
            (
                "More people leave homelessness for a permanent home",
                "Of everyone who leaves a program, a growing share moves into permanent housing.",
                [EXITS],
            ),
            (
                "Fewer people return to homelessness",
                "People housed stay housed: fewer come back within two years.",
                [RETURNS],
            ),
        ],
    ),
]


def load_agenda(initiative: Initiative) -> None:
    """Create the goals and outcomes (idempotent), linking the indicators that exist."""
    indicators = {i.code: i for i in initiative.indicators.all()}
    for g_order, (title, description, outcomes) in enumerate(FRAMEWORK, start=1):
        goal, _ = Goal.objects.get_or_create(
            initiative=initiative,
            title=title,
            defaults={"description": description, "order": g_order},
        )
        for o_order, (o_title, o_description, codes) in enumerate(outcomes, start=1):
            outcome, _ = Outcome.objects.get_or_create(
                goal=goal, title=o_title, defaults={"description": o_description, "order": o_order}
            )
            outcome.indicators.add(*(indicators[c] for c in codes if c in indicators))
