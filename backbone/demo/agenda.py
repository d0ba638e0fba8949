"""The demo initiative's results framework: two goals, their outcomes, and the indicators that
show each outcome (the HUD count and the sample performance measures); and its learning agenda:
two learning questions and one improvement cycle — invented, and labelled "(sample)"."""

from __future__ import annotations

from datetime import date

from backbone.agenda import services as agenda_services
from backbone.agenda.models import (
    CycleStage,
    Goal,
    ImprovementCycle,
    LearningQuestion,
    Outcome,
)
from backbone.core.models import Initiative
from backbone.core.permissions import COMMAND_LINE
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
    load_learning(initiative)


# --- The learning agenda (sample) -----------------------------------------------------------

COORDINATED_ENTRY = "Did coordinated entry reduce unsheltered homelessness? (sample)"
EXITS_GAP = (
    "Why are exits to housing lower for Black households, and what would close the gap? (sample)"
)
LANDLORD_PILOT = "Landlord engagement pilot (sample)"
PILOT_PLACE = "OH-500"  # Cincinnati/Hamilton County CoC

QUESTIONS = [
    {
        "question": COORDINATED_ENTRY,
        "why": (
            "Every Continuum of Care now sends people to housing through one front door. If it "
            "works, fewer people should sleep outside on the night of the count. Invented for "
            "the demo."
        ),
        "asked_on": date(2022, 2, 9),
        "codes": [INDICATOR_CODE],
    },
    {
        "question": EXITS_GAP,
        "why": (
            "The sample figures show Black households leaving programs for a permanent home "
            "less often than white households. The partners want to know why before choosing "
            "what to change. Invented for the demo."
        ),
        "asked_on": date(2023, 1, 18),
        "codes": [EXITS],
    },
]


def load_learning(initiative: Initiative) -> None:
    """Create the sample learning questions and improvement cycle (idempotent: each is made
    once, through the same services the pages use), linking the indicators that exist."""
    indicators = {i.code: i for i in initiative.indicators.all()}
    made: dict[str, LearningQuestion] = {}
    for spec in QUESTIONS:
        question = LearningQuestion.objects.filter(
            initiative=initiative, question=spec["question"]
        ).first()
        if question is None:
            question = agenda_services.question_create(
                actor=COMMAND_LINE,
                initiative=initiative,
                question=spec["question"],
                why=spec["why"],
                asked_on=spec["asked_on"],
                indicators=[indicators[c] for c in spec["codes"] if c in indicators],
            )
        made[spec["question"]] = question
    if ImprovementCycle.objects.filter(initiative=initiative, title=LANDLORD_PILOT).exists():
        return
    agenda_services.cycle_create(
        actor=COMMAND_LINE,
        initiative=initiative,
        title=LANDLORD_PILOT,
        question=made[EXITS_GAP],
        place=initiative.places.filter(code=PILOT_PLACE).first(),
        indicators=[indicators[EXITS]] if EXITS in indicators else [],
        stage=CycleStage.STUDY,
        started_on=date(2023, 3, 1),
        changed_on=date(2023, 5, 15),
        starts_new_phase=False,
        plan=(
            "A housing navigator calls landlords each week and a small fund pays the first "
            "month’s rent and any damage. We predict exits to permanent housing for Black "
            "households rise by 5 points within a year, and the gap to white households narrows."
        ),
        do=(
            "From May 2023, 40 landlords joined; 120 households used the fund. Two navigators "
            "left mid-year, so calls stopped for six weeks."
        ),
        study=(
            "Exits to permanent housing kept rising in 2024, much as in earlier years, and the "
            "gap for Black households has not clearly narrowed. One year after the change is "
            "too few points to tell a real shift from noise: we will look again with the 2025 "
            "figures."
        ),
    )
