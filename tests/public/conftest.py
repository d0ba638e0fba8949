"""A small public initiative for the public-dashboard tests.

Initiative "pub" (public, small-number threshold 10), one place, a dimension "sex" (f, m) and a
dimension "age" (child, adult):

* ``visits`` (public count, by sex): 2022 total 4,321 = f 4,314 + m 7 — m is small (primary),
  so f is hidden too (complementary); 2023 total 4,400 = 2,200 + 2,200, all shown; a partner's
  2024 draft of 9,876 and 2025 submission of 8,765, never shown.
* ``crossed`` (public count, by sex and age): 2023 total 1,234; sex: only m 6 (so the total is
  hidden with it); age: child 611 + adult 623 — the hidden total makes child hidden as well.
* ``secret-count`` ("Secret shelter count", private): 2023 total 555.

Figures chosen so that a leaked number is easy to spot in a page or a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from backbone.agenda.models import Goal, Outcome
from backbone.core.models import Initiative, PartnerKind, Role, User
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as ms
from backbone.measurement.models import Annotation, Indicator, Narrative, Place
from backbone.measurement.validation import Figures
from tests import factories as f


@dataclass
class PublicWorld:
    initiative: Initiative
    private_initiative: Initiative
    visits: Indicator
    crossed: Indicator
    secret: Indicator
    private_initiative_indicator: Indicator
    place: Place
    steward: User
    admin: User


def _record(indicator, place, period, members, value, *, org=None, actor=COMMAND_LINE, **kw):
    entry = ms.Entry(
        indicator=indicator,
        place=place,
        period=ms.period_for(period),
        breakdown=ms.breakdown_for(indicator.initiative, members),
        organization=org,
        figures=Figures(value=Decimal(value)),
    )
    ms.observations_record(actor=actor, initiative=indicator.initiative, entries=[entry], **kw)


@pytest.fixture
def world(db) -> PublicWorld:
    pub = f.initiative(
        "pub",
        name="Public Initiative",
        is_public=True,
        suppression_threshold=10,
        vision="Everyone has a home.",
        problem_statement="Too many people sleep outside.",
    )
    admin = f.backbone_admin(pub)
    partner = f.partnership(pub, f.organization("Partner X"), kind=PartnerKind.PARTNER)
    steward = f.member(partner.organization, Role.DATA_STEWARD)
    sex = ms.dimension_define(
        initiative=pub, code="sex", name="Sex", members=[("f", "Female"), ("m", "Male")]
    )
    age = ms.dimension_define(
        initiative=pub, code="age", name="Age", members=[("child", "Child"), ("adult", "Adult")]
    )
    visits = f.indicator(
        pub,
        "visits",
        name="Clinic visits",
        is_public=True,
        dimensions=[sex],
        definition="Visits to the clinic.",
        source="Clinic records",
    )
    crossed = f.indicator(
        pub, "crossed", name="Crossed count", is_public=True, dimensions=[sex, age]
    )
    secret = f.indicator(pub, "secret-count", name="Secret shelter count")
    place = f.place(pub, "P-1")

    _record(visits, place, "2022", {}, 4321)
    _record(visits, place, "2022", {"sex": "f"}, 4314)
    _record(visits, place, "2022", {"sex": "m"}, 7)
    _record(visits, place, "2023", {}, 4400)
    _record(visits, place, "2023", {"sex": "f"}, 2200)
    _record(visits, place, "2023", {"sex": "m"}, 2200)
    # A partner's draft (2024) and a submitted but unreviewed value (2025): never public.
    _record(visits, place, "2024", {}, 9876, org=partner.organization, actor=steward)
    round_ = ms.round_open(
        actor=COMMAND_LINE,
        initiative=pub,
        name="2025 round",
        period=ms.period_for("2025"),
        due_on=ms.period_for("2025").end,
        indicators=[visits],
        organizations=[partner.organization],
    )
    submission = round_.submissions.get()
    _record(
        visits,
        place,
        "2025",
        {},
        8765,
        org=partner.organization,
        actor=steward,
        submission=submission,
    )
    ms.submission_submit(actor=steward, submission=submission, expected_version=1)

    _record(crossed, place, "2023", {}, 1234)
    _record(crossed, place, "2023", {"sex": "m"}, 6)
    _record(crossed, place, "2023", {"age": "child"}, 611)
    _record(crossed, place, "2023", {"age": "adult"}, 623)
    _record(secret, place, "2023", {}, 555)

    Annotation.objects.create(
        indicator=visits, period=ms.period_for("2022"), text="2022: counted on paper forms."
    )
    Narrative.objects.create(
        indicator=visits, place=place, story="Visits rose when the evening clinic opened."
    )
    goal = Goal.objects.create(initiative=pub, title="People are healthy", order=1)
    outcome = Outcome.objects.create(goal=goal, title="More people see a doctor", order=1)
    outcome.indicators.add(visits, secret)

    hidden = f.initiative("hidden", name="Hidden Initiative")
    hidden_indicator = f.indicator(hidden, "hidden-visits", is_public=True)
    hidden_place = f.place(hidden, "H-1")
    _record(hidden_indicator, hidden_place, "2023", {}, 300)
    return PublicWorld(
        initiative=pub,
        private_initiative=hidden,
        visits=visits,
        crossed=crossed,
        secret=secret,
        private_initiative_indicator=hidden_indicator,
        place=place,
        steward=steward,
        admin=admin,
    )
