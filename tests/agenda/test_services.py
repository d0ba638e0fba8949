"""The results framework's writes: goals and outcomes, their indicators and order."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from backbone.agenda import services as a
from backbone.agenda.models import Goal, Outcome
from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import AuditEvent, PartnerKind, Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    init = f.initiative("agenda")
    admin = f.backbone_admin(init, email="alex@example.org")
    second = f.backbone_admin(init, email="sam@example.org")
    second.full_name = "Sam Second"
    second.save()
    clinic = f.partnership(init, f.organization("Clinic"))
    funder_org = f.partnership(init, f.organization("Fund"), kind=PartnerKind.FUNDER).organization
    other = f.initiative("other")
    rare = a.goal_create(actor=admin, initiative=init, title="Homelessness is rare")
    brief = a.goal_create(actor=admin, initiative=init, title="Homelessness is brief")
    people = f.indicator(init, "people")
    exits = f.rate_indicator(init, "exits")
    fewer = a.outcome_create(actor=admin, goal=rare, title="Fewer people", indicators=[people])
    return {
        "init": init,
        "admin": admin,
        "second": second,
        "anonymous": AnonymousUser(),
        "member": f.member(clinic.organization, Role.MEMBER),
        "steward": f.member(clinic.organization, Role.DATA_STEWARD),
        "funder": f.member(funder_org, Role.FUNDER),
        "admin_in_partner": f.member(clinic.organization, Role.BACKBONE_ADMIN),
        "other_admin": f.backbone_admin(other),
        "other_indicator": f.indicator(other, "theirs"),
        "rare": rare,
        "brief": brief,
        "people": people,
        "exits": exits,
        "fewer": fewer,
    }


NOT_ALLOWED = ["anonymous", "member", "steward", "funder", "admin_in_partner", "other_admin"]


def state() -> tuple:
    return (
        sorted(Goal.objects.values_list("pk", "title", "description", "order", "version")),
        sorted(Outcome.objects.values_list("pk", "goal_id", "title", "order", "version")),
        sorted(Outcome.indicators.through.objects.values_list("outcome_id", "indicator_id")),
        AuditEvent.objects.count(),
    )


def titles(goal=None, init=None) -> list[str]:
    if goal is not None:
        return list(Outcome.objects.filter(goal=goal).values_list("title", flat=True))
    return list(Goal.objects.filter(initiative=init).values_list("title", flat=True))


def test_goals_are_added_last_and_audited(w):
    third = a.goal_create(
        actor=w["admin"], initiative=w["init"], title=" Housed people stay housed ", description="x"
    )
    assert (third.title, third.order) == ("Housed people stay housed", 3)
    assert titles(init=w["init"]) == [
        "Homelessness is rare",
        "Homelessness is brief",
        "Housed people stay housed",
    ]
    event = AuditEvent.objects.filter(action="goal.create").first()
    assert event.summary == "Added the goal Housed people stay housed"
    assert event.actor == w["admin"]


def test_a_goal_needs_a_title_of_its_own(w):
    before = state()
    for title, message in (("", "short title"), ("homelessness is RARE", "already has this")):
        with pytest.raises(ValidationError, match=message):
            a.goal_create(actor=w["admin"], initiative=w["init"], title=title)
    with pytest.raises(ValidationError, match="already has this"):
        a.goal_update(
            actor=w["admin"],
            goal=w["brief"],
            changes={"title": "Homelessness is rare"},
            expected_version=1,
        )
    with pytest.raises(ValidationError):
        a.goal_update(
            actor=w["admin"], goal=w["brief"], changes={"title": "x" * 201}, expected_version=1
        )
    assert state() == before


def test_a_goal_is_edited_and_a_stale_edit_names_who_changed_it(w):
    goal = w["rare"]
    a.goal_update(
        actor=w["second"],
        goal=goal,
        changes={"description": "Fewer lose their home."},
        expected_version=1,
    )
    goal.refresh_from_db()
    assert (goal.description, goal.version) == ("Fewer lose their home.", 2)
    before = state()
    with pytest.raises(ConflictError, match="Sam Second changed this") as caught:
        a.goal_update(actor=w["admin"], goal=goal, changes={"title": "Mine"}, expected_version=1)
    assert caught.value.changed_by == "Sam Second"
    assert state() == before
    with pytest.raises(DomainError, match="cannot be changed"):
        a.goal_update(actor=w["admin"], goal=goal, changes={"order": 9}, expected_version=2)


def test_goals_move_up_and_down_and_not_past_the_ends(w):
    a.goal_move(actor=w["admin"], goal=w["brief"], step=-1)
    assert titles(init=w["init"]) == ["Homelessness is brief", "Homelessness is rare"]
    events = AuditEvent.objects.filter(action="goal.move").count()
    a.goal_move(actor=w["admin"], goal=w["brief"], step=-1)  # already first: nothing happens
    assert titles(init=w["init"]) == ["Homelessness is brief", "Homelessness is rare"]
    assert AuditEvent.objects.filter(action="goal.move").count() == events
    with pytest.raises(DomainError):
        a.goal_move(actor=w["admin"], goal=w["brief"], step=5)


def test_an_outcome_shows_indicators_of_its_own_initiative_only(w):
    before = state()
    with pytest.raises(ValidationError, match="belong to this initiative"):
        a.outcome_create(
            actor=w["admin"], goal=w["rare"], title="X", indicators=[w["other_indicator"]]
        )
    assert state() == before
    made = a.outcome_create(
        actor=w["admin"], goal=w["brief"], title="Quick exits", indicators=[w["exits"]]
    )
    assert list(made.indicators.values_list("code", flat=True)) == ["exits"]
    assert AuditEvent.objects.get(object_id=str(made.pk), action="outcome.create").after[
        "indicators"
    ] == ["exits"]


def test_an_outcome_moves_to_another_goal_with_new_indicators(w):
    fewer = w["fewer"]
    a.outcome_create(actor=w["admin"], goal=w["brief"], title="Quick exits")
    a.outcome_update(
        actor=w["admin"],
        outcome=fewer,
        changes={"goal": w["brief"], "title": "Fewer people", "description": "d"},
        expected_version=1,
        indicators=[w["people"], w["exits"]],
    )
    fewer.refresh_from_db()
    assert (fewer.goal, fewer.order, fewer.version) == (w["brief"], 2, 2)
    assert titles(goal=w["brief"]) == ["Quick exits", "Fewer people"]
    assert sorted(fewer.indicators.values_list("code", flat=True)) == ["exits", "people"]
    event = AuditEvent.objects.get(action="outcome.update")
    assert event.before["indicators"] == ["people"]
    assert event.after["indicators"] == ["exits", "people"]
    before = state()
    with pytest.raises(ConflictError):
        a.outcome_update(
            actor=w["admin"], outcome=fewer, changes={"title": "Stale"}, expected_version=1
        )
    assert state() == before


def test_outcomes_are_reordered_under_their_goal(w):
    a.outcome_create(actor=w["admin"], goal=w["rare"], title="Second")
    second = Outcome.objects.get(title="Second")
    a.outcome_move(actor=w["admin"], outcome=second, step=-1)
    assert titles(goal=w["rare"]) == ["Second", "Fewer people"]


@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_only_the_backbone_changes_the_framework(w, role):
    actor = w[role]
    before = state()
    attempts = [
        lambda: a.goal_create(actor=actor, initiative=w["init"], title="New"),
        lambda: a.goal_update(
            actor=actor, goal=w["rare"], changes={"title": "X"}, expected_version=1
        ),
        lambda: a.goal_move(actor=actor, goal=w["brief"], step=-1),
        lambda: a.outcome_create(actor=actor, goal=w["rare"], title="New"),
        lambda: a.outcome_update(
            actor=actor, outcome=w["fewer"], changes={"title": "X"}, expected_version=1
        ),
        lambda: a.outcome_move(actor=actor, outcome=w["fewer"], step=1),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert state() == before
