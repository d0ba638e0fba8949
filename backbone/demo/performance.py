"""Sample partner performance data for the demo — invented, and labelled "(sample)" everywhere.

HUD publishes community-wide counts, not how each Continuum of Care's programs perform, so the
demo invents those figures (seeded, so every load is the same) to give the reporting, approval,
equity and comparison screens something to show. Each CoC reports, for its own area:

* exits to permanent housing (percent of people leaving a program, by race/ethnicity);
* returns to homelessness within two years (percent, lower is better);
* people served in emergency shelter (a count, private to the partners).

Past years (2021–2024) went through the real reporting cycle — recorded, submitted, approved
with the services every partner uses. The 2025 round is open: one CoC has a draft, one has
submitted, one was returned with a reason, the others have not started. Targets, a baseline and
a "story behind the curve" are set on the HUD count.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from backbone.core.models import Initiative, Organization, User
from backbone.core.permissions import COMMAND_LINE
from backbone.demo.hud import INDICATOR_CODE
from backbone.measurement import services as s
from backbone.measurement.models import (
    Aggregation,
    Direction,
    Indicator,
    Level,
    Narrative,
    PerformanceKind,
    Place,
    Unit,
)
from backbone.measurement.periods import PeriodType
from backbone.measurement.validation import Figures

SEED = 20261124
YEARS = ("2021", "2022", "2023", "2024")
OPEN_YEAR = "2025"
RACE = [
    ("black", "Black or African American"),
    ("white", "White"),
    ("hispanic", "Hispanic or Latino (any race)"),
    ("other", "Another race, or more than one"),
]
# Share of people leaving programs, by group (sample proportions).
RACE_SHARE = {"black": 0.42, "white": 0.44, "hispanic": 0.05, "other": 0.09}
# A gap to show on the equity screens: exits to housing are less likely for Black households.
RACE_EFFECT = {"black": -0.07, "white": 0.03, "hispanic": 0.0, "other": -0.02}

EXITS = "exits-to-permanent-housing"
RETURNS = "returns-to-homelessness"
SERVED = "people-served-shelter"


def _indicators(initiative: Initiative) -> dict[str, Indicator]:
    race = s.dimension_define(
        initiative=initiative, code="race", name="Race and ethnicity", members=RACE
    )
    common = {
        "level": Level.PERFORMANCE,
        "period_type": PeriodType.YEAR,
        "source": "Sample data invented for the Backbone demo — not real program results.",
    }
    specs = {
        EXITS: {
            "name": "Exits to permanent housing (sample)",
            "definition": (
                "Of the people who left a homelessness program during the year, the share who "
                "left for a permanent home (their own lease, housing with a subsidy, family)."
            ),
            "unit": Unit.PERCENT,
            "aggregation": Aggregation.RATIO,
            "direction": Direction.HIGHER_IS_BETTER,
            "performance_kind": PerformanceKind.BETTER_OFF,
            "numerator_label": "People who left for permanent housing",
            "denominator_label": "People who left a program",
            "decimals": 1,
            "is_public": True,
        },
        RETURNS: {
            "name": "Returns to homelessness within two years (sample)",
            "definition": (
                "Of the people who left for permanent housing two years earlier, the share who "
                "came back to a homelessness program."
            ),
            "unit": Unit.PERCENT,
            "aggregation": Aggregation.RATIO,
            "direction": Direction.LOWER_IS_BETTER,
            "performance_kind": PerformanceKind.BETTER_OFF,
            "numerator_label": "People who returned",
            "denominator_label": "People housed two years earlier",
            "decimals": 1,
            "is_public": True,
        },
        SERVED: {
            "name": "People served in emergency shelter (sample)",
            "definition": "Different people who stayed at least one night in emergency shelter.",
            "unit": Unit.COUNT,
            "aggregation": Aggregation.SUM,
            "direction": Direction.NEUTRAL,
            "performance_kind": PerformanceKind.HOW_MUCH,
            "is_public": False,
        },
    }
    made = {}
    for code, fields in specs.items():
        indicator, created = Indicator.objects.get_or_create(
            initiative=initiative, code=code, defaults={**common, **fields}
        )
        if created and code == EXITS:
            indicator.dimensions.set([race])
        made[code] = indicator
    return made


def _figures(rng: random.Random, size: int, year_index: int) -> dict[str, dict[str, Figures]]:
    """One CoC's figures for one year: exits by race (parts add up), returns, people served."""
    leavers = max(40, int(size * rng.uniform(0.8, 1.2)))
    base = 0.40 + 0.02 * year_index + rng.uniform(-0.04, 0.04)
    exits: dict[str, Figures] = {}
    total_num = total_den = 0
    for group, share in RACE_SHARE.items():
        den = max(1, round(leavers * share * rng.uniform(0.85, 1.15)))
        rate = min(0.95, max(0.05, base + RACE_EFFECT[group] + rng.uniform(-0.03, 0.03)))
        num = round(den * rate)
        exits[group] = Figures(numerator=Decimal(num), denominator=Decimal(den))
        total_num, total_den = total_num + num, total_den + den
    exits[""] = Figures(numerator=Decimal(total_num), denominator=Decimal(total_den))
    housed = max(20, round(total_num * rng.uniform(0.9, 1.1)))
    returned = round(
        housed * min(0.4, max(0.05, 0.2 - 0.01 * year_index + rng.uniform(-0.03, 0.03)))
    )
    served = round(leavers * rng.uniform(1.6, 2.2))
    return {
        EXITS: exits,
        RETURNS: {"": Figures(numerator=Decimal(returned), denominator=Decimal(housed))},
        SERVED: {"": Figures(value=Decimal(served))},
    }


def _entries(
    initiative: Initiative,
    indicators: dict[str, Indicator],
    place: Place,
    org: Organization,
    year: str,
    figures: dict[str, dict[str, Figures]],
) -> list[s.Entry]:
    period = s.period_for(year)
    return [
        s.Entry(
            indicator=indicators[code],
            place=place,
            period=period,
            breakdown=s.breakdown_for(initiative, {"race": group} if group else {}),
            organization=org,
            figures=f,
        )
        for code, groups in figures.items()
        for group, f in groups.items()
    ]


@transaction.atomic
def load_performance(initiative: Initiative, *, today: date | None = None) -> int:
    """Load the sample performance data (idempotent: nothing happens if it is there)."""
    if Indicator.objects.filter(initiative=initiative, code=EXITS).exists():
        return 0
    today = today or date.today()
    indicators = _indicators(initiative)
    cocs = list(
        initiative.partnerships.filter(organization__external_code__startswith="OH-")
        .select_related("organization")
        .order_by("organization__external_code")
    )
    places = {p.code: p for p in Place.objects.filter(initiative=initiative)}
    counts = _coc_sizes(initiative)
    rng = random.Random(SEED)
    recorded = 0
    for index, year in enumerate(YEARS):
        rnd = s.round_open(
            actor=COMMAND_LINE,
            initiative=initiative,
            name=f"{year} annual performance report",
            period=s.period_for(year),
            due_on=date(int(year) + 1, 1, 31),
            indicators=list(indicators.values()),
            organizations=[p.organization for p in cocs],
        )
        rnd.is_open = False
        rnd.save(update_fields=["is_open"])
        for partnership in cocs:
            org = partnership.organization
            code = org.external_code
            figures = _figures(rng, counts.get(code, 500) // 2, index)
            sub = rnd.submissions.get(organization=org)
            result = s.observations_record(
                actor=COMMAND_LINE,
                initiative=initiative,
                entries=_entries(initiative, indicators, places[code], org, year, figures),
                submission=sub,
                reason="Sample data for the demo",
            )
            recorded += result.created
            sub = s.submission_submit(actor=COMMAND_LINE, submission=sub, expected_version=1)
            s.submission_approve(actor=COMMAND_LINE, submission=sub, expected_version=2)
    recorded += _open_round(initiative, indicators, cocs, places, counts, rng, today)
    _targets_and_story(initiative, indicators)
    return recorded


def _open_round(initiative, indicators, cocs, places, counts, rng, today) -> int:
    rnd = s.round_open(
        actor=COMMAND_LINE,
        initiative=initiative,
        name=f"{OPEN_YEAR} annual performance report",
        period=s.period_for(OPEN_YEAR),
        due_on=today + timedelta(days=21),
        indicators=list(indicators.values()),
        organizations=[p.organization for p in cocs],
    )
    steward = User.objects.filter(email="steward@demo.backbone.test").first()
    admin = User.objects.filter(email="admin@demo.backbone.test").first()
    recorded = 0
    # OH-500 (the demo steward's CoC): a draft; OH-503: submitted; OH-502: returned.
    for code, state in (("OH-500", "draft"), ("OH-503", "submitted"), ("OH-502", "returned")):
        partnership = next((p for p in cocs if p.organization.external_code == code), None)
        if partnership is None:
            continue
        org = partnership.organization
        figures = _figures(rng, counts.get(code, 500) // 2, len(YEARS))
        if state == "draft":
            figures = {EXITS: {"": figures[EXITS][""]}}  # started, not finished
        sub = rnd.submissions.get(organization=org)
        actor = steward if (state == "draft" and steward) else COMMAND_LINE
        recorded += s.observations_record(
            actor=actor,
            initiative=initiative,
            entries=_entries(initiative, indicators, places[code], org, OPEN_YEAR, figures),
            submission=sub,
            reason="Sample data for the demo",
        ).created
        if state in ("submitted", "returned"):
            sub = s.submission_submit(actor=COMMAND_LINE, submission=sub, expected_version=1)
        if state == "returned":
            s.submission_return(
                actor=admin or COMMAND_LINE,
                submission=sub,
                reason=(
                    "Exits to permanent housing went up by a third since last year — please "
                    "check that people moving between shelters are not counted as exits."
                ),
                expected_version=2,
            )
    return recorded


def _coc_sizes(initiative: Initiative) -> dict[str, int]:
    """Each CoC's 2019 homeless count from the HUD data, to scale the sample figures."""
    hud = Indicator.objects.filter(initiative=initiative, code=INDICATOR_CODE).first()
    if hud is None:
        return {}
    return {
        code: int(value)
        for code, value in hud.observations.filter(
            period__code="2019", breakdown__key="", place__code__startswith="OH-"
        ).values_list("place__code", "value")
    }


def _targets_and_story(initiative: Initiative, indicators: dict[str, Indicator]) -> None:
    hud = Indicator.objects.filter(initiative=initiative, code=INDICATOR_CODE).first()
    ohio = Place.objects.filter(initiative=initiative, code="OH").first()
    if hud is not None and ohio is not None:
        hud.baseline_period = s.period_for("2019")
        hud.save(update_fields=["baseline_period"])
        s.target_set(
            actor=COMMAND_LINE,
            indicator=hud,
            period=s.period_for("2030"),
            value=Decimal(8276),
            place=ohio,
            note="Sample target: 20% fewer people homeless than in 2019 (10,345).",
        )
        s.target_set(
            actor=COMMAND_LINE,
            indicator=hud,
            period=s.period_for("2030"),
            value=Decimal(1000),
            place=ohio,
            breakdown=s.breakdown_for(initiative, {"shelter": "unsheltered"}),
            note="Sample group target: fewer than 1,000 people sleeping outside.",
        )
        Narrative.objects.get_or_create(
            indicator=hud,
            place=ohio,
            period=s.period_for("2023"),
            defaults={
                "story": (
                    "(Sample story.) Ohio's count fell from 2007 to 2019, then rose after 2021 "
                    "as pandemic protections ended and rents rose faster than incomes. The 2021 "
                    "count left out most people sleeping outside, so it looks lower than it was."
                ),
                "partners": "Housing authorities, landlords, hospitals, the state Medicaid agency.",
                "what_works": "Housing First, rapid re-housing, landlord risk-mitigation funds.",
                "action_plan": "Open 500 landlord partnerships by 2026; track exits by race.",
            },
        )
    exits = indicators[EXITS]
    exits.baseline_period = s.period_for("2021")
    exits.save(update_fields=["baseline_period"])
    for group in ("", "black"):
        s.target_set(
            actor=COMMAND_LINE,
            indicator=exits,
            period=s.period_for("2027"),
            value=Decimal(55),
            breakdown=s.breakdown_for(initiative, {"race": group} if group else {}),
            note="Sample target: one goal for everyone, tracked for each group.",
        )
