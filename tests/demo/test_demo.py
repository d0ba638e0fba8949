"""The demo initiative: built from HUD's data, idempotent, and every demo login works."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backbone.core.models import Initiative, Membership, Organization, Partnership
from backbone.core.permissions import Action, can
from backbone.demo.loader import DEMO_PASSWORD, SLUG, load_demo, ohio_cocs

pytestmark = pytest.mark.django_db


def test_the_nine_ohio_continuums_of_care_come_from_the_hud_data():
    cocs = dict(ohio_cocs())
    assert len(cocs) == 9
    assert cocs["OH-500"] == "Cincinnati/Hamilton County CoC"
    assert cocs["OH-507"] == "Ohio Balance of State CoC"


def test_loading_twice_changes_nothing():
    load_demo()
    counts = [m.objects.count() for m in (Initiative, Organization, Partnership, Membership)]
    load_demo()
    assert [
        m.objects.count() for m in (Initiative, Organization, Partnership, Membership)
    ] == counts
    assert counts == [1, 12, 12, 5]


def test_each_demo_login_signs_in_with_its_role(client):
    logins = load_demo()
    initiative = Initiative.objects.get(slug=SLUG)
    assert [login.role for login in logins] == [
        "Backbone admin",
        "Data steward",
        "Member",
        "Funder",
        "Community member",
    ]
    for login in logins:
        client.logout()
        response = client.post(
            reverse("accounts:login"), {"username": login.email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, login.email
        user = response.wsgi_request.user
        assert can(user, Action.VIEW_PRIVATE, initiative)
        assert can(user, Action.MANAGE_PARTNERS, initiative) is (login.role == "Backbone admin")


def test_the_demo_is_public_and_shows_on_the_home_page(client):
    load_demo()
    page = client.get(reverse("core:initiative_home", args=[SLUG])).content.decode()
    assert "Ohio Home for All" in page
    assert "11,386 people in Ohio" in page
    assert "Ohio Home for All" in client.get("/").content.decode()


def test_sample_performance_data_went_through_the_reporting_cycle():
    from datetime import date

    from backbone.demo.hud import load_hud
    from backbone.demo.performance import EXITS, SERVED, load_performance
    from backbone.measurement.models import (
        Observation,
        ObservationStatus,
        SubmissionStatus,
        Target,
    )
    from backbone.measurement.selectors import series
    from backbone.measurement.services import breakdown_for

    load_demo()
    initiative = Initiative.objects.get(slug=SLUG)
    load_hud(initiative)
    created = load_performance(initiative, today=date(2026, 11, 24))
    assert created > 0
    assert load_performance(initiative) == 0  # idempotent
    exits = initiative.indicators.get(code=EXITS)
    assert "(sample)" in exits.name and "Sample data" in exits.source
    assert not initiative.indicators.get(code=SERVED).is_public  # a private measure
    # Past rounds approved; the open round shows every state a partner can be in.
    statuses = set(
        initiative.reporting_rounds.get(name__startswith="2025").submissions.values_list(
            "status", flat=True
        )
    )
    assert statuses == {
        SubmissionStatus.DRAFT,
        SubmissionStatus.SUBMITTED,
        SubmissionStatus.RETURNED,
    }
    assert (
        not Observation.objects.filter(indicator=exits, period__code="2024")
        .exclude(status=ObservationStatus.APPROVED)
        .exists()
    )
    # The groups add up to the total, numerators and denominators alike.
    ohio = initiative.places.get(code="OH")
    total = series(exits, ohio, breakdown_for(initiative, {}))
    parts = [
        series(exits, ohio, breakdown_for(initiative, {"race": g}))
        for g in ("black", "white", "hispanic", "other")
    ]
    for i, point in enumerate(total):
        assert point.aggregate.numerator == sum(p[i].aggregate.numerator for p in parts)
        assert point.aggregate.reports == 9  # all nine CoCs
    assert [p.period.code for p in total] == ["2021", "2022", "2023", "2024"]
    assert Target.objects.filter(indicator__initiative=initiative).count() == 4


def test_the_demo_learning_agenda_asks_two_questions_and_studies_one_pilot():
    from datetime import date

    from backbone.agenda.models import ImprovementCycle, LearningQuestion
    from backbone.agenda.selectors import phase_changes, timeline
    from backbone.demo.agenda import load_agenda
    from backbone.demo.hud import INDICATOR_CODE, load_hud
    from backbone.demo.performance import EXITS, load_performance

    load_demo()
    initiative = Initiative.objects.get(slug=SLUG)
    load_hud(initiative)
    load_performance(initiative)
    load_agenda(initiative)
    load_agenda(initiative)  # idempotent
    questions = LearningQuestion.objects.filter(initiative=initiative).order_by("asked_on")
    assert [(q.question, [i.code for i in q.indicators.all()]) for q in questions] == [
        ("Did coordinated entry reduce unsheltered homelessness? (sample)", [INDICATOR_CODE]),
        (
            "Why are exits to housing lower for Black households, and what would close the gap? "
            "(sample)",
            [EXITS],
        ),
    ]
    cycle = ImprovementCycle.objects.get(initiative=initiative)
    assert (cycle.title, cycle.stage, cycle.question, cycle.place.code) == (
        "Landlord engagement pilot (sample)",
        "study",
        questions[1],
        "OH-500",
    )
    assert (cycle.changed_on.year, cycle.starts_new_phase) == (2023, False)
    assert [i.code for i in cycle.indicators.all()] == [EXITS]
    exits = initiative.indicators.get(code=EXITS)
    assert [(e.date, e.kind) for e in timeline(exits)] == [
        (date(2023, 1, 18), "question"),
        (date(2023, 3, 1), "cycle-start"),
        (date(2023, 5, 15), "change"),
    ]
    assert phase_changes(exits) == []
