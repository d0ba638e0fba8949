"""The indicator library's writes: indicators, dimensions and places, as the backbone meets them
— who may make them, what is refused and why, conflicts, and the audit trail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import AuditEvent, PartnerKind, Role
from backbone.measurement import library as lib
from backbone.measurement import services as s
from backbone.measurement.models import (
    Annotation,
    Dimension,
    DimensionMember,
    Indicator,
    IndicatorRevision,
    Place,
)
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db

D = Decimal

PERCENT = {
    "code": "exits",
    "name": "Exits to permanent housing",
    "definition": "Share of people leaving a program who move into a permanent home.",
    "unit": "percent",
    "rate_base": D(100),
    "decimals": 1,
    "direction": "up",
    "level": "performance",
    "performance_kind": "better_off",
    "aggregation": "ratio",
    "numerator_label": "People who moved into permanent housing",
    "denominator_label": "People who left",
    "period_type": "year",
    "source": "HMIS",
    "is_public": False,
    "min_value": None,
    "max_value": None,
    "numerator_within_denominator": True,
    "parts_rule": "warning",
}


@pytest.fixture
def w():
    init = f.initiative("lib")
    admin = f.backbone_admin(init, email="alex@example.org")
    admin.full_name = "Alex Admin"
    admin.save()
    second_admin = f.backbone_admin(init, email="sam@example.org")
    second_admin.full_name = "Sam Second"
    second_admin.save()
    clinic = f.partnership(init, f.organization("Clinic"))
    funder_org = f.partnership(init, f.organization("Fund"), kind=PartnerKind.FUNDER).organization
    other = f.initiative("other")
    other_admin = f.backbone_admin(other)
    race = s.dimension_define(
        initiative=init, code="race", name="Race", members=[("black", "Black"), ("white", "White")]
    )
    other_dim = s.dimension_define(initiative=other, code="age", name="Age", members=[("a", "A")])
    people = f.indicator(init, "people", dimensions=[race])
    region = f.place(init, "R")
    county = f.place(init, "C", region)
    city = f.place(init, "T", county)
    other_place = f.place(other, "O")
    return {
        "init": init,
        "admin": admin,
        "second_admin": second_admin,
        "steward": f.member(clinic.organization, Role.DATA_STEWARD),
        "member": f.member(clinic.organization, Role.MEMBER),
        "funder": f.member(funder_org, Role.FUNDER),
        "admin_in_partner": f.member(clinic.organization, Role.BACKBONE_ADMIN),
        "other_admin": other_admin,
        "anonymous": AnonymousUser(),
        "race": race,
        "other_dim": other_dim,
        "people": people,
        "region": region,
        "county": county,
        "city": city,
        "other_place": other_place,
    }


NOT_ALLOWED = ["anonymous", "member", "steward", "funder", "admin_in_partner", "other_admin"]


def state() -> tuple:
    return (
        sorted(Indicator.objects.values_list("pk", "code", "name", "version", "unit")),
        sorted(Dimension.objects.values_list("pk", "code", "name")),
        sorted(DimensionMember.objects.values_list("pk", "code", "name", "sort_order")),
        sorted(Place.objects.values_list("pk", "code", "name", "level", "parent_id")),
        AuditEvent.objects.count(),
    )


# --- Indicators ---------------------------------------------------------------------------


def test_an_admin_adds_an_indicator_with_its_groups_and_baseline_and_it_is_audited(w):
    made = lib.indicator_create(
        actor=w["admin"],
        initiative=w["init"],
        data=PERCENT,
        dimensions=[w["race"]],
        baseline_period="2021",
    )
    made.refresh_from_db()
    assert (made.code, made.unit, made.aggregation, made.version) == (
        "exits",
        "percent",
        "ratio",
        1,
    )
    assert made.baseline_period.code == "2021"
    assert list(made.dimensions.values_list("code", flat=True)) == ["race"]
    event = AuditEvent.objects.get(action="indicator.create")
    assert event.actor == w["admin"] and event.object_id == str(made.pk)
    assert event.after["code"] == "exits" and event.after["dimensions"] == ["race"]
    assert event.summary == "Added the indicator Exits to permanent housing"


@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_only_the_backbone_adds_indicators(w, role):
    before = state()
    with pytest.raises(PermissionDenied):
        lib.indicator_create(actor=w[role], initiative=w["init"], data=PERCENT)
    assert state() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"aggregation": "sum"}, "aggregation", "Percents cannot be added up"),
        ({"rate_base": D(1000)}, "rate_base", "always out of 100"),
        ({"rate_base": D(0)}, "rate_base", "more than zero"),
        ({"numerator_label": ""}, "numerator_label", "counted on top"),
        ({"denominator_label": " "}, "denominator_label", "what it is out of"),
        ({"performance_kind": ""}, "performance_kind", "which question"),
        ({"level": "population"}, "performance_kind", "answers no program question"),
        ({"min_value": D(50), "max_value": D(10)}, "max_value", "below the lowest"),
        ({"code": "Not a slug!"}, "code", "letters"),
        ({"code": "people"}, "code", "Another indicator already has this code"),
        ({"unit": "furlongs"}, "unit", "not a valid choice"),
    ],
)
def test_an_indicator_that_would_mislead_is_refused_with_a_reason(w, change, field, message):
    before = state()
    with pytest.raises(ValidationError) as caught:
        lib.indicator_create(actor=w["admin"], initiative=w["init"], data={**PERCENT, **change})
    assert field in caught.value.message_dict
    assert message.lower() in " ".join(caught.value.message_dict[field]).lower()
    assert state() == before


def test_a_bad_baseline_period_and_another_initiatives_dimension_are_refused(w):
    before = state()
    with pytest.raises(ValidationError) as caught:
        lib.indicator_create(
            actor=w["admin"], initiative=w["init"], data=PERCENT, baseline_period="last year"
        )
    assert "baseline_period" in caught.value.message_dict
    with pytest.raises(DomainError, match="belong to this initiative"):
        lib.indicator_create(
            actor=w["admin"], initiative=w["init"], data=PERCENT, dimensions=[w["other_dim"]]
        )
    with pytest.raises(DomainError, match="cannot be set"):
        lib.indicator_create(actor=w["admin"], initiative=w["init"], data={**PERCENT, "version": 9})
    assert state() == before


def test_a_plain_edit_bumps_the_version_and_is_audited(w):
    people = w["people"]
    lib.indicator_edit(
        actor=w["admin"],
        indicator=people,
        changes={"name": "People homeless", "is_public": True},
        expected_version=1,
        baseline_period="2019",
    )
    people.refresh_from_db()
    assert (people.name, people.is_public, people.version) == ("People homeless", True, 2)
    assert people.baseline_period.code == "2019"
    assert people.definition_version == 1
    event = AuditEvent.objects.get(action="indicator.update")
    assert event.before["name"] == "People" and event.after["name"] == "People homeless"


def test_changing_what_is_measured_needs_a_period_and_a_reason_and_breaks_the_series(w):
    people = w["people"]
    before = state()
    with pytest.raises(DomainError, match="changes what is measured"):
        lib.indicator_edit(
            actor=w["admin"],
            indicator=people,
            changes={"definition": "Now with motels"},
            expected_version=1,
        )
    assert state() == before
    lib.indicator_edit(
        actor=w["admin"],
        indicator=people,
        changes={"definition": "Now with motels"},
        expected_version=1,
        effective_period="2025",
        reason="Motel vouchers count from 2025",
    )
    people.refresh_from_db()
    assert (people.definition_version, people.version) == (2, 2)
    revision = IndicatorRevision.objects.get(indicator=people)
    assert revision.effective_period.code == "2025"
    assert revision.reason == "Motel vouchers count from 2025"
    assert Annotation.objects.get(indicator=people).breaks_comparability


def test_a_stale_edit_names_who_changed_the_indicator_and_saves_nothing(w):
    people = w["people"]
    stale = Indicator.objects.get(pk=people.pk)
    lib.indicator_edit(
        actor=w["second_admin"], indicator=people, changes={"name": "Theirs"}, expected_version=1
    )
    before = state()
    with pytest.raises(ConflictError) as caught:
        lib.indicator_edit(
            actor=w["admin"], indicator=stale, changes={"name": "Mine"}, expected_version=1
        )
    assert caught.value.changed_by == "Sam Second"
    assert "Sam Second changed this while you were editing it" in caught.value.message
    assert state() == before
    assert Indicator.objects.get(pk=people.pk).name == "Theirs"


@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_only_the_backbone_edits_indicators(w, role):
    before = state()
    with pytest.raises(PermissionDenied):
        lib.indicator_edit(
            actor=w[role], indicator=w["people"], changes={"name": "x"}, expected_version=1
        )
    assert state() == before


def test_the_groups_of_an_indicator_change_but_a_split_in_use_stays(w):
    people, race = w["people"], w["race"]
    age = s.dimension_define(initiative=w["init"], code="age", name="Age", members=[("a", "A")])
    lib.indicator_edit(
        actor=w["admin"], indicator=people, changes={}, expected_version=1, dimensions=[race, age]
    )
    people.refresh_from_db()
    assert people.version == 2
    assert sorted(people.dimensions.values_list("code", flat=True)) == ["age", "race"]
    event = AuditEvent.objects.get(action="indicator.dimensions")
    assert (event.before, event.after) == (
        {"dimensions": ["race"]},
        {"dimensions": ["age", "race"]},
    )

    s.observation_record(
        actor=w["admin"],
        entry=s.Entry(
            indicator=people,
            place=w["city"],
            period=s.period_for("2024"),
            breakdown=s.breakdown_for(w["init"], {"race": "black"}),
            organization=None,
            figures=Figures(value=D(5)),
        ),
    )
    before = state()
    with pytest.raises(ValidationError, match="split by Race"):
        lib.indicator_edit(
            actor=w["admin"], indicator=people, changes={}, expected_version=2, dimensions=[age]
        )
    assert state() == before


# --- Dimensions ---------------------------------------------------------------------------


def test_an_admin_adds_a_dimension_with_its_groups_in_order(w):
    made = lib.dimension_create(
        actor=w["admin"],
        initiative=w["init"],
        code="household",
        name="Household type",
        members=[("families", "Families"), ("adults", "Adults only")],
    )
    assert list(made.members.values_list("code", "name", "sort_order")) == [
        ("families", "Families", 0),
        ("adults", "Adults only", 1),
    ]
    event = AuditEvent.objects.get(action="dimension.create")
    assert event.after["members"] == [["families", "Families"], ["adults", "Adults only"]]


@pytest.mark.parametrize(
    ("code", "members", "field", "message"),
    [
        ("race", [("x", "X")], "code", "already has this code"),
        ("new", [], "members", "at least one group"),
        ("new", [("a", "A"), ("a", "B")], "members", "used twice"),
        ("new", [("a b", "A")], "members", "cannot be a code"),
        ("new", [("a", "")], "members", "code and a name"),
        ("not ok", [("a", "A")], "code", "letters"),
    ],
)
def test_a_bad_dimension_is_refused(w, code, members, field, message):
    before = state()
    with pytest.raises(ValidationError) as caught:
        lib.dimension_create(
            actor=w["admin"], initiative=w["init"], code=code, name="N", members=members
        )
    assert message.lower() in " ".join(caught.value.message_dict[field]).lower()
    assert state() == before


def test_editing_a_dimension_renames_reorders_adds_and_removes_unused_groups(w):
    race = w["race"]
    lib.dimension_update(
        actor=w["admin"],
        dimension=race,
        name="Race and ethnicity",
        members=[("white", "White"), ("black", "Black or African American"), ("asian", "Asian")],
        expected_state=lib.dimension_state(race),
    )
    race.refresh_from_db()
    assert race.name == "Race and ethnicity"
    assert list(race.members.values_list("code", "name", "sort_order")) == [
        ("white", "White", 0),
        ("black", "Black or African American", 1),
        ("asian", "Asian", 2),
    ]
    lib.dimension_update(
        actor=w["admin"],
        dimension=race,
        name="Race and ethnicity",
        members=[("black", "Black or African American")],
        expected_state=lib.dimension_state(race),
    )
    assert list(race.members.values_list("code", flat=True)) == ["black"]
    assert AuditEvent.objects.filter(action="dimension.update").count() == 2


def test_a_group_that_figures_use_cannot_be_removed(w):
    race = w["race"]
    s.breakdown_for(w["init"], {"race": "white"})
    before = state()
    with pytest.raises(ValidationError, match="White cannot be removed"):
        lib.dimension_update(
            actor=w["admin"],
            dimension=race,
            name="Race",
            members=[("black", "Black")],
            expected_state=lib.dimension_state(race),
        )
    assert state() == before


def test_a_stale_dimension_edit_names_who_changed_it(w):
    race = w["race"]
    seen = lib.dimension_state(race)
    lib.dimension_update(
        actor=w["second_admin"],
        dimension=race,
        name="Race (theirs)",
        members=[("black", "Black"), ("white", "White")],
        expected_state=seen,
    )
    before = state()
    with pytest.raises(ConflictError, match="Sam Second changed this"):
        lib.dimension_update(
            actor=w["admin"],
            dimension=Dimension.objects.get(pk=race.pk),
            name="Race (mine)",
            members=[("black", "Black")],
            expected_state=seen,
        )
    assert state() == before


@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_only_the_backbone_changes_dimensions(w, role):
    before = state()
    with pytest.raises(PermissionDenied):
        lib.dimension_create(
            actor=w[role], initiative=w["init"], code="x", name="X", members=[("a", "A")]
        )
    with pytest.raises(PermissionDenied):
        lib.dimension_update(
            actor=w[role],
            dimension=w["race"],
            name="X",
            members=[("black", "Black")],
            expected_state=lib.dimension_state(w["race"]),
        )
    assert state() == before


# --- Places -------------------------------------------------------------------------------


def test_an_admin_adds_a_place_inside_another_and_it_is_audited(w):
    place = lib.place_create(
        actor=w["admin"],
        initiative=w["init"],
        code=" 39061 ",
        name="Hamilton County",
        level="county",
        parent=w["region"],
    )
    assert (place.code, place.parent, place.initiative) == ("39061", w["region"], w["init"])
    event = AuditEvent.objects.get(action="place.create")
    assert event.after == {
        "code": "39061",
        "name": "Hamilton County",
        "level": "county",
        "parent": "Place R",
    }


def test_a_place_cannot_lie_inside_itself_or_a_place_within_it(w):
    region = w["region"]
    before = state()
    for parent in (w["city"], w["county"]):
        with pytest.raises(ValidationError, match="cannot also contain it"):
            lib.place_update(
                actor=w["admin"],
                place=region,
                name=region.name,
                level=region.level,
                parent=parent,
                expected_state=lib.place_state(region),
            )
    with pytest.raises(ValidationError, match="cannot also contain it"):
        lib.place_update(
            actor=w["admin"],
            place=region,
            name=region.name,
            level=region.level,
            parent=region,
            expected_state=lib.place_state(region),
        )
    with pytest.raises(ValidationError, match="belong to this initiative"):
        lib.place_update(
            actor=w["admin"],
            place=region,
            name=region.name,
            level=region.level,
            parent=w["other_place"],
            expected_state=lib.place_state(region),
        )
    assert state() == before


def test_a_place_moves_to_another_parent(w):
    city = w["city"]
    lib.place_update(
        actor=w["admin"],
        place=city,
        name="Cincinnati",
        level="city",
        parent=w["region"],
        expected_state=lib.place_state(city),
    )
    city.refresh_from_db()
    assert (city.name, city.parent) == ("Cincinnati", w["region"])
    event = AuditEvent.objects.get(action="place.update")
    assert event.before["parent"] == "Place C" and event.after["parent"] == "Place R"


def test_a_stale_place_edit_and_a_repeated_code_are_refused(w):
    city = w["city"]
    seen = lib.place_state(city)
    lib.place_update(
        actor=w["second_admin"],
        place=city,
        name="Theirs",
        level="city",
        parent=w["county"],
        expected_state=seen,
    )
    before = state()
    with pytest.raises(ConflictError, match="Sam Second changed this"):
        lib.place_update(
            actor=w["admin"],
            place=Place.objects.get(pk=city.pk),
            name="Mine",
            level="city",
            parent=w["county"],
            expected_state=seen,
        )
    with pytest.raises(ValidationError, match="Another place already has this code"):
        lib.place_create(actor=w["admin"], initiative=w["init"], code="R", name="R", level="x")
    assert state() == before


@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_only_the_backbone_changes_places(w, role):
    before = state()
    with pytest.raises(PermissionDenied):
        lib.place_create(actor=w[role], initiative=w["init"], code="N", name="N", level="x")
    with pytest.raises(PermissionDenied):
        lib.place_update(
            actor=w[role],
            place=w["city"],
            name="N",
            level="x",
            parent=None,
            expected_state=lib.place_state(w["city"]),
        )
    assert state() == before


def test_the_place_tree_nests_places_and_counts_those_within(w):
    tree = lib.place_tree(w["init"])
    assert [n.place.code for n in tree] == ["R"]
    assert tree[0].size == 2
    assert [n.place.code for n in tree[0].children] == ["C"]
    assert [n.place.code for n in tree[0].children[0].children] == ["T"]


@pytest.mark.parametrize("stored", ["figure", "target"])
def test_a_dimension_that_stored_figures_or_targets_use_cannot_be_dropped(w, stored):
    people, race = w["people"], w["race"]
    black = s.breakdown_for(w["init"], {"race": "black"})
    if stored == "figure":
        s.observation_record(
            actor=w["admin"],
            entry=s.Entry(
                indicator=people,
                place=w["region"],
                period=s.period_for("2024"),
                breakdown=black,
                organization=None,
                figures=Figures(value=Decimal(5)),
            ),
        )
    else:
        s.target_set(
            actor=w["admin"],
            indicator=people,
            period=s.period_for("2030"),
            value=Decimal(3),
            breakdown=black,
        )
    with pytest.raises(ValidationError) as caught:
        lib.indicator_edit(
            actor=w["admin"],
            indicator=people,
            changes={},
            expected_version=people.version,
            dimensions=[],
        )
    assert "Figures or targets already stored are split by Race" in str(caught.value)
    assert list(people.dimensions.all()) == [race]


def test_a_definition_sent_back_unchanged_with_browser_line_breaks_is_no_new_definition(w):
    from backbone.measurement.forms import IndicatorEditForm

    people = w["people"]
    people.definition = "People counted\non one night"
    people.save()
    data = {
        **{
            k: v
            for k, v in IndicatorEditForm(instance=people, initiative=w["init"]).initial.items()
            if v is not None
        },
        "definition": "People counted\r\non one night",  # as a browser's text area sends it
        "name": "People (renamed)",
        "version": people.version,
        "dimensions": [w["race"].pk],
    }
    form = IndicatorEditForm(data, instance=people, initiative=w["init"])
    assert "definition" not in form.changed_data
    assert form.redefined() == []


def test_a_rate_base_of_zero_gets_a_plain_message(w):
    people = w["people"]
    people.rate_base = 0
    with pytest.raises(ValidationError) as caught:
        people.full_clean()
    assert "The rate base must be more than 0" in str(caught.value)


def test_a_reference_group_for_equity_is_chosen_audited_and_checked(w):
    people, race = w["people"], w["race"]
    white = race.members.get(code="white")
    lib.indicator_edit(
        actor=w["admin"], indicator=people, changes={}, expected_version=1, reference_groups=[white]
    )
    people.refresh_from_db()
    assert list(people.reference_groups.all()) == [white]
    assert people.version == 2
    event = AuditEvent.objects.get(action="indicator.reference_groups")
    assert (event.before, event.after) == (
        {"reference_groups": []},
        {"reference_groups": ["race:white"]},
    )
    # Two groups of one split, or a group of a split the indicator does not use: refused.
    black = race.members.get(code="black")
    age = s.dimension_define(initiative=w["init"], code="age", name="Age", members=[("a", "A")])
    for refs in ([white, black], [age.members.get()]):
        with pytest.raises(ValidationError) as caught:
            lib.indicator_edit(
                actor=w["admin"],
                indicator=people,
                changes={},
                expected_version=2,
                reference_groups=refs,
            )
        assert "reference_groups" in caught.value.message_dict
    assert list(people.reference_groups.all()) == [white]
