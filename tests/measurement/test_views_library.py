"""The indicator library's pages as a backbone admin uses them: the overview, the forms with
their help, refusals that answer 422 and say what to fix, and conflicts that save nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backbone.agenda import services as agenda
from backbone.agenda.models import Goal, Outcome
from backbone.core.models import AuditEvent, Role
from backbone.measurement import library as lib
from backbone.measurement import services as s
from backbone.measurement.models import Dimension, Indicator, IndicatorRevision, Place
from tests import factories as f

pytestmark = pytest.mark.django_db

INDICATOR_FORM = {
    "code": "exits",
    "name": "Exits to permanent housing",
    "definition": "Share of leavers who move into a permanent home.",
    "unit": "percent",
    "rate_base": "100",
    "decimals": "1",
    "direction": "up",
    "level": "performance",
    "performance_kind": "better_off",
    "aggregation": "ratio",
    "numerator_label": "Moved into permanent housing",
    "denominator_label": "Left the program",
    "period_type": "year",
    "source": "HMIS",
    "parts_rule": "warning",
    "numerator_within_denominator": "on",
    "baseline_period": "2021",
}


@pytest.fixture
def w(client):
    init = f.initiative("lib")
    admin = f.backbone_admin(init, email="alex@example.org")
    other_admin = f.backbone_admin(init, email="sam@example.org")
    other_admin.full_name = "Sam Second"
    other_admin.save()
    clinic = f.partnership(init, f.organization("Clinic"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD)
    race = s.dimension_define(
        initiative=init, code="race", name="Race", members=[("black", "Black"), ("white", "White")]
    )
    people = f.indicator(init, "people", name="People homeless", is_public=True)
    served = f.indicator(init, "served", name="People served")
    region = f.place(init, "OH", level="state")
    county = f.place(init, "OH-500", region, level="CoC")
    goal = agenda.goal_create(actor=admin, initiative=init, title="Homelessness is rare")
    outcome = agenda.outcome_create(
        actor=admin, goal=goal, title="Fewer people homeless", indicators=[people]
    )
    client.force_login(admin)
    return locals()


def url(name: str, *args: object) -> str:
    return reverse(f"measurement:{name}", args=["lib", *args])


def test_the_library_lists_indicators_dimensions_places_and_the_framework(client, w):
    page = client.get(url("library"))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "<code>people</code>",
        "People homeless",
        "People served",  # private indicators too: the backbone sees everything
        "Private: people taking part",
        "Fewer people homeless",
        "Black, White",
        "1 place within",
        "Place OH-500",
        "Homelessness is rare",
    ):
        assert text in html, text
    assert url("library_indicator_edit", "people") in html
    assert url("library_place_edit", w["county"].pk) in html


def test_a_partner_cannot_open_the_library(client, w):
    client.force_login(w["steward"])
    assert client.get(url("library")).status_code == 403
    assert client.get(url("library_indicator_create")).status_code == 403
    assert client.post(url("library_indicator_create"), INDICATOR_FORM).status_code == 403
    assert not Indicator.objects.filter(code="exits").exists()


def test_the_indicator_form_explains_each_choice(client, w):
    html = client.get(url("library_indicator_create")).content.decode()
    for text in (
        "add up every numerator, add up every denominator, then divide once",
        "never average the percents",
        "Choose “Lower is better” when less is the aim",
        "anyone — without signing in — sees this indicator",
        "the groups should add up to the total",
        "“300 per 100,000 residents” has base 100,000",
    ):
        assert text in html, text
    assert 'aria-describedby="id_aggregation_helptext"' in html


def test_an_admin_adds_an_indicator_through_the_form(client, w):
    response = client.post(
        url("library_indicator_create"), {**INDICATOR_FORM, "dimensions": [w["race"].pk]}
    )
    assert response.status_code == 302 and response.url == url("library")
    made = Indicator.objects.get(initiative=w["init"], code="exits")
    assert (made.unit, made.aggregation, made.baseline_period.code) == ("percent", "ratio", "2021")
    assert list(made.dimensions.all()) == [w["race"]]
    assert AuditEvent.objects.filter(action="indicator.create", actor=w["admin"]).count() == 1
    page = client.get(url("library")).content.decode()
    assert "The indicator Exits to permanent housing was added." in page


def test_a_percent_added_up_is_refused_with_a_plain_reason(client, w):
    response = client.post(
        url("library_indicator_create"), {**INDICATOR_FORM, "aggregation": "sum", "code": "people"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Please correct the following" in html
    assert "Percents cannot be added up" in html
    assert Indicator.objects.filter(initiative=w["init"]).count() == 2


def test_a_repeated_code_and_a_bad_period_are_refused(client, w):
    response = client.post(
        url("library_indicator_create"),
        {**INDICATOR_FORM, "code": "people", "baseline_period": "next spring"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "next spring" in html
    response = client.post(url("library_indicator_create"), {**INDICATOR_FORM, "code": "people"})
    assert response.status_code == 422
    assert "Another indicator already has this code." in response.content.decode()


def _edit_data(indicator: Indicator, **changes: object) -> dict:
    data = {
        "name": indicator.name,
        "definition": indicator.definition,
        "unit": indicator.unit,
        "rate_base": str(indicator.rate_base),
        "decimals": str(indicator.decimals),
        "direction": indicator.direction,
        "level": indicator.level,
        "performance_kind": indicator.performance_kind,
        "aggregation": indicator.aggregation,
        "numerator_label": indicator.numerator_label,
        "denominator_label": indicator.denominator_label,
        "source": indicator.source,
        "parts_rule": indicator.parts_rule,
        "version": str(indicator.version),
        "baseline_period": "",
        "effective_period": "",
        "reason": "",
    }
    if indicator.is_public:
        data["is_public"] = "on"
    if indicator.numerator_within_denominator:
        data["numerator_within_denominator"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_edits_an_indicator(client, w):
    people = w["people"]
    page = client.get(url("library_indicator_edit", "people")).content.decode()
    assert "If you change what is measured" in page and "<dd>people</dd>" in page
    response = client.post(
        url("library_indicator_edit", "people"),
        _edit_data(people, name="People experiencing homelessness", direction="down"),
    )
    assert response.status_code == 302
    people.refresh_from_db()
    assert (people.name, people.version, people.definition_version) == (
        "People experiencing homelessness",
        2,
        1,
    )


def test_changing_what_is_measured_asks_from_when_and_why(client, w):
    people = w["people"]
    response = client.post(
        url("library_indicator_edit", "people"), _edit_data(people, definition="Now with motels")
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "You changed what is measured: say from which period" in html
    assert "You changed what is measured: say why." in html
    people.refresh_from_db()
    assert people.version == 1
    response = client.post(
        url("library_indicator_edit", "people"),
        _edit_data(
            people,
            definition="Now with motels",
            effective_period="2025",
            reason="Motel vouchers count from 2025",
        ),
    )
    assert response.status_code == 302
    revision = IndicatorRevision.objects.get(indicator=people)
    assert (revision.effective_period.code, revision.definition_version) == ("2025", 2)
    page = client.get(url("library_indicator_edit", "people")).content.decode()
    assert "Earlier changes to what is measured" in page
    assert "Motel vouchers count from 2025" in page


def test_a_stale_indicator_form_names_who_changed_it_and_saves_nothing(client, w):
    people = w["people"]
    stale = _edit_data(people, name="Mine")
    s.indicator_update(
        actor=w["other_admin"], indicator=people, changes={"name": "Theirs"}, expected_version=1
    )
    response = client.post(url("library_indicator_edit", "people"), stale, follow=True)
    assert response.redirect_chain[-1][0] == url("library_indicator_edit", "people")
    html = response.content.decode()
    assert "Sam Second changed this while you were editing it" in html
    assert 'value="Theirs"' in html
    people.refresh_from_db()
    assert people.name == "Theirs"


def test_an_admin_adds_and_edits_a_dimension(client, w):
    bad = client.post(
        url("library_dimension_create"), {"code": "age", "name": "Age", "members": "adults"}
    )
    assert bad.status_code == 422
    assert "Line 1: write the group as" in bad.content.decode()
    response = client.post(
        url("library_dimension_create"),
        {"code": "age", "name": "Age", "members": "child: Children\n\nadult: Adults\n"},
    )
    assert response.status_code == 302
    age = Dimension.objects.get(initiative=w["init"], code="age")
    assert list(age.members.values_list("code", "name")) == [
        ("child", "Children"),
        ("adult", "Adults"),
    ]
    edit = client.get(url("library_dimension_edit", age.pk)).content.decode()
    assert "child: Children\nadult: Adults" in edit
    response = client.post(
        url("library_dimension_edit", age.pk),
        {
            "name": "Age group",
            "members": "adult: Adults\nchild: Children under 18",
            "state": lib.dimension_state(age),
        },
    )
    assert response.status_code == 302
    assert list(age.members.values_list("code", "name")) == [
        ("adult", "Adults"),
        ("child", "Children under 18"),
    ]


def test_a_stale_dimension_form_is_refused(client, w):
    race = w["race"]
    response = client.post(
        url("library_dimension_edit", race.pk),
        {"name": "Mine", "members": "black: Black", "state": "not-what-is-stored"},
        follow=True,
    )
    assert "changed this while you were editing it" in response.content.decode()
    race.refresh_from_db()
    assert race.name == "Race" and race.members.count() == 2


def test_places_are_added_and_cannot_be_put_inside_themselves(client, w):
    response = client.post(
        url("library_place_create"),
        {"code": "39061", "name": "Hamilton County", "level": "county", "parent": w["county"].pk},
    )
    assert response.status_code == 302
    hamilton = Place.objects.get(initiative=w["init"], code="39061")
    assert hamilton.parent == w["county"]
    region = w["region"]
    response = client.post(
        url("library_place_edit", region.pk),
        {
            "name": region.name,
            "level": "state",
            "parent": hamilton.pk,
            "state": lib.place_state(region),
        },
    )
    assert response.status_code == 422
    assert "cannot also contain it" in response.content.decode()
    region.refresh_from_db()
    assert region.parent is None


def test_goals_and_outcomes_are_added_edited_and_ordered(client, w):
    response = client.post(url("library_goal_create"), {"title": "Homelessness is brief"})
    assert response.status_code == 302
    brief = Goal.objects.get(title="Homelessness is brief")
    page = client.get(url("library_outcome_create") + f"?goal={brief.pk}").content.decode()
    assert f'<option value="{brief.pk}" selected>' in page
    response = client.post(
        url("library_outcome_create"),
        {"goal": brief.pk, "title": "Quick exits", "indicators": [w["served"].pk]},
    )
    assert response.status_code == 302
    quick = Outcome.objects.get(title="Quick exits")
    assert list(quick.indicators.all()) == [w["served"]]

    client.post(url("library_goal_move", brief.pk), {"step": "-1"})
    assert list(Goal.objects.filter(initiative=w["init"]).values_list("title", flat=True)) == [
        "Homelessness is brief",
        "Homelessness is rare",
    ]
    response = client.post(
        url("library_goal_edit", brief.pk),
        {"title": "Homelessness is brief and one-time", "description": "", "version": "1"},
    )
    assert response.status_code == 302
    stale = client.post(
        url("library_goal_edit", brief.pk),
        {"title": "Stale", "description": "", "version": "1"},
        follow=True,
    )
    assert "changed this while you were editing it" in stale.content.decode()
    brief.refresh_from_db()
    assert brief.title == "Homelessness is brief and one-time"

    outcome = w["outcome"]
    response = client.post(
        url("library_outcome_edit", outcome.pk),
        {
            "goal": outcome.goal_id,
            "title": outcome.title,
            "description": "",
            "indicators": [w["people"].pk, w["served"].pk],
            "version": "1",
        },
    )
    assert response.status_code == 302
    assert outcome.indicators.count() == 2


def test_a_goal_move_without_a_direction_changes_nothing(client, w):
    goal = w["goal"]
    response = client.post(url("library_goal_move", goal.pk), {"step": "sideways"}, follow=True)
    assert "Move one place up or down." in response.content.decode()
    goal.refresh_from_db()
    assert goal.order == 1
