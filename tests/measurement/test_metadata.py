"""Metadata files: a whole initiative set up from one JSON file, all or nothing, idempotent."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from backbone.core.models import (
    AuditEvent,
    Initiative,
    Organization,
    PartnerKind,
    Partnership,
    Role,
)
from backbone.measurement import services
from backbone.measurement.metadata import (
    MetadataRejected,
    MetadataUnreadable,
    load_metadata,
)
from backbone.measurement.models import (
    Annotation,
    Dimension,
    DimensionMember,
    Indicator,
    IndicatorRevision,
    Place,
    Target,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "metadata-example.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def state() -> dict[str, list]:
    """Everything a load may write, to show that a refused load wrote nothing."""
    models = [
        Initiative,
        Organization,
        Partnership,
        Place,
        Dimension,
        DimensionMember,
        Indicator,
        Annotation,
        Target,
        IndicatorRevision,
        AuditEvent,
    ]
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


def rejected(data: dict) -> list[tuple[str, str, str]]:
    with pytest.raises(MetadataRejected) as caught:
        load_metadata(data)
    return [(p.path, p.message, p.fix) for p in caught.value.problems]


def indicator(code: str) -> Indicator:
    return Indicator.objects.get(initiative__slug="read-by-grade-3", code=code)


# --- Loading a good file --------------------------------------------------------------------


def test_the_example_file_sets_up_the_whole_initiative():
    report = load_metadata(EXAMPLE)

    init = Initiative.objects.get(slug="read-by-grade-3")
    assert report.initiative == init
    assert (init.name, init.geography, init.is_public) == (
        "Read by Grade 3 (sample)",
        "Hamilton County, Ohio",
        True,
    )
    assert (init.needle_basis, init.needle_threshold) == ("points", Decimal(10))
    assert {
        (p.organization.external_code, p.organization.name, p.organization.sector, p.kind)
        for p in Partnership.objects.filter(initiative=init)
    } == {
        ("RB3", "Read Together Partnership (sample)", "nonprofit", PartnerKind.BACKBONE),
        ("RPS", "Riverside Public Schools (sample)", "education", PartnerKind.PARTNER),
    }
    school = Place.objects.get(initiative=init, code="RPS-ELM")
    assert (school.level, school.parent.code, school.parent.parent.code) == (
        "school",
        "RPS",
        "39061",
    )
    assert school.parent.parent.parent is None
    income = Dimension.objects.get(initiative=init, code="income")
    assert [(m.code, m.sort_order) for m in income.members.all()] == [
        ("low-income", 0),
        ("not-low-income", 1),
    ]
    reading = indicator("grade3-reading")
    assert (reading.unit, reading.aggregation, reading.direction, reading.period_type) == (
        "percent",
        "ratio",
        "up",
        "school_year",
    )
    assert (reading.numerator_label, reading.denominator_label, reading.decimals) == (
        "Third graders scoring proficient or above",
        "Third graders tested",
        1,
    )
    assert reading.rate_base == 100 and reading.numerator_within_denominator
    assert reading.baseline_period.code == "SY2022-23"
    assert sorted(reading.dimensions.values_list("code", flat=True)) == [
        "english-learner",
        "income",
    ]
    tutored = indicator("students-tutored")
    assert (tutored.level, tutored.performance_kind, tutored.min_value) == (
        "performance",
        "how_much",
        Decimal(0),
    )
    assert not tutored.dimensions.exists()
    note = Annotation.objects.get(indicator__code="chronic-absence-k3")
    assert (note.period.code, note.place, note.breaks_comparability) == ("SY2020-21", None, True)
    target = Target.objects.get(indicator=reading)
    assert (target.period.code, target.value, target.place.code, target.breakdown.key) == (
        "SY2027-28",
        Decimal(75),
        "39061",
        "",
    )
    counts = {kind: (t.created, t.updated, t.unchanged) for kind, t in report.counts.items()}
    assert counts == {
        "initiative": (1, 0, 0),
        "organizations": (2, 0, 0),
        "partnerships": (2, 0, 0),
        "places": (3, 0, 0),
        "dimensions": (2, 0, 0),
        "indicators": (3, 0, 0),
        "annotations": (1, 0, 0),
        "targets": (1, 0, 0),
    }
    actions = list(AuditEvent.objects.filter(initiative=init).values_list("action", flat=True))
    assert sorted(set(actions)) == [
        "annotation.create",
        "dimension.create",
        "indicator.create",
        "initiative.create",
        "organization.create",
        "partnership.add",
        "place.create",
        "target.set",
    ]
    assert len(actions) == 15


def test_loading_the_same_file_again_changes_nothing():
    load_metadata(EXAMPLE)
    before = state()

    report = load_metadata(EXAMPLE)

    assert report.changes == 0
    assert {kind: t.unchanged for kind, t in report.counts.items()} == {
        "initiative": 1,
        "organizations": 2,
        "partnerships": 2,
        "places": 3,
        "dimensions": 2,
        "indicators": 3,
        "annotations": 1,
        "targets": 1,
    }
    assert state() == before


def test_a_file_can_be_read_from_an_open_file_or_a_parsed_dict():
    with EXAMPLE.open("rb") as handle:
        load_metadata(handle)
    assert load_metadata(example()).changes == 0


def test_a_changed_indicator_name_is_an_audited_update():
    load_metadata(EXAMPLE)
    data = example()
    data["indicators"][0]["name"] = "Third graders reading on grade level"

    report = load_metadata(data)

    assert (report.counts["indicators"].updated, report.counts["indicators"].unchanged) == (1, 2)
    reading = indicator("grade3-reading")
    assert (reading.name, reading.version, reading.definition_version) == (
        "Third graders reading on grade level",
        2,
        1,
    )
    event = AuditEvent.objects.get(action="indicator.update")
    assert event.before == {"name": "Third graders reading proficiently"}
    assert event.after == {"name": "Third graders reading on grade level"}
    assert report.changes == 1


def test_changed_places_dimensions_and_partners_are_updated():
    load_metadata(EXAMPLE)
    data = example()
    data["places"][2]["name"] = "Elm Street Elementary School (sample)"
    data["dimensions"][0]["members"][0]["name"] = "Families with low income"
    data["dimensions"][0]["members"].append({"code": "unknown", "name": "Not known"})
    data["organizations"][1]["kind"] = "funder"
    data["annotations"][0]["breaks_comparability"] = False
    data["targets"][0]["value"] = 80

    report = load_metadata(data)

    assert report.changes == 5
    assert Target.objects.get().value == Decimal(80)
    assert not Annotation.objects.get().breaks_comparability
    assert Place.objects.get(code="RPS-ELM").name == "Elm Street Elementary School (sample)"
    assert list(
        DimensionMember.objects.filter(dimension__code="income").values_list("code", "name")
    ) == [
        ("low-income", "Families with low income"),
        ("not-low-income", "Other families"),
        ("unknown", "Not known"),
    ]
    assert Partnership.objects.get(organization__external_code="RPS").kind == "funder"
    assert set(
        AuditEvent.objects.filter(action__endswith="update").values_list("action", flat=True)
    ) == {"place.update", "dimension.update", "partnership.update", "annotation.update"}
    assert AuditEvent.objects.filter(action="target.set").count() == 2


def test_a_changed_unit_without_a_revision_is_refused_and_nothing_is_written():
    load_metadata(EXAMPLE)
    before = state()
    data = example()
    data["indicators"][2]["unit"] = "score"
    data["indicators"][0]["name"] = "A new name that must not be saved"
    data["places"][0]["name"] = "A new place name that must not be saved"

    problems = rejected(data)

    assert [path for path, _m, _f in problems] == ["indicators[2].unit"]
    message, fix = problems[0][1:]
    assert "unit: count → score" in message
    assert '"revision"' in fix
    assert state() == before


def test_a_changed_unit_with_a_revision_is_a_new_definition_version_with_a_series_break():
    load_metadata(EXAMPLE)
    data = example()
    data["indicators"][2]["unit"] = "score"
    data["indicators"][2]["revision"] = {
        "effective_period": "SY2025-26",
        "reason": "We now count tutoring hours as a score.",
    }

    report = load_metadata(data)

    tutored = indicator("students-tutored")
    assert (tutored.unit, tutored.definition_version, report.counts["indicators"].updated) == (
        "score",
        2,
        1,
    )
    revision = IndicatorRevision.objects.get(indicator=tutored)
    assert (revision.before, revision.after) == ({"unit": "count"}, {"unit": "score"})
    assert [p.code for p in services.series_breaks(tutored)] == ["SY2025-26"]
    assert Annotation.objects.get(indicator=tutored).breaks_comparability
    assert load_metadata(data).changes == 0  # the revision is not applied twice


# --- Files with problems: each names the place, says what is wrong and how to fix it ----------


def _set(path: str, value: object) -> Callable[[dict], None]:
    """A change to the example: ``path`` like ``indicators.0.unit`` (``...`` removes)."""

    def change(data: dict) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = data
        for key in parents:
            node = node[key]
        if value is ...:
            del node[last]
        else:
            node[last] = value

    return change


BAD_FILES = {
    "unknown unit": (_set("indicators.0.unit", "kg"), "indicators[0].unit", "“kg”", "“percent”"),
    "missing indicator code": (
        _set("indicators.2.code", ...),
        "indicators[2].code",
        "missing",
        "Add “code”",
    ),
    "parent place undefined": (
        _set("places.2.parent", "OH-999"),
        "places[2].parent",
        "“OH-999” is not defined",
        "Add it",
    ),
    "place cycle": (
        _set("places.0.parent", "RPS-ELM"),
        "places[0].parent",
        "39061 → RPS-ELM → RPS → 39061",
        "outside the loop",
    ),
    "duplicate place code": (
        _set("places.2.code", "RPS"),
        "places[2].code",
        "used twice (also at places[1])",
        "own code",
    ),
    "undefined dimension": (
        _set("indicators.1.dimensions", ["income", "race"]),
        "indicators[1].dimensions[1]",
        "“race” is not defined",
        "dimensions",
    ),
    "bad period code": (
        _set("targets.0.period", "SY2027-29"),
        "targets[0].period",
        "“SY2027-29” is not a period code",
        "SY2023-24",
    ),
    "bad baseline period": (
        _set("indicators.0.baseline_period", "last year"),
        "indicators[0].baseline_period",
        "not a period code",
        "2023Q1",
    ),
    "target group on a dimension the indicator does not use": (
        lambda d: d["targets"].append(
            {
                "indicator": "chronic-absence-k3",
                "period": "2028",
                "value": 5,
                "group": {"english-learner": "el"},
            }
        ),
        "targets[1].group.english-learner",
        "not broken down by “english-learner”",
        "income",
    ),
    "target group member unknown": (
        _set("targets.0.group", {"income": "rich"}),
        "targets[0].group.income",
        "“rich” is not a group",
        "low-income",
    ),
    "unknown key": (
        _set("indicators.0.colour", "blue"),
        "indicators[0].colour",
        "not a field we know",
        "Remove it",
    ),
    "misspelled key": (
        _set("indicators.0.directon", "up"),
        "indicators[0].directon",
        "not a field we know",
        "Did you mean “direction”?",
    ),
    "wrong type": (
        _set("indicators.0.decimals", "1"),
        "indicators[0].decimals",
        "a whole number, not text",
        "without quotes",
    ),
    "invalid code": (
        _set("dimensions.1.members.0.code", "English learner"),
        "dimensions[1].members[0].code",
        "not a valid code",
        "dashes",
    ),
    "undefined indicator in an annotation": (
        _set("annotations.0.indicator", "absence"),
        "annotations[0].indicator",
        "“absence” is not defined",
        "indicators",
    ),
    "bad organization kind": (
        _set("organizations.1.kind", "member"),
        "organizations[1].kind",
        "“member”",
        "“backbone”",
    ),
    "wrong top-level format": (
        _set("format", "backbone-tidy"),
        "format",
        "not a Backbone metadata file",
        '"format": "backbone-metadata"',
    ),
    "newer version": (_set("version", 2), "version", "version 2", '"version": 1'),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_the_path_and_a_fix_and_nothing_is_written(case):
    change, path, message_part, fix_part = BAD_FILES[case]
    data = example()
    change(data)
    before = state()

    problems = rejected(data)

    assert [p for p, _m, _f in problems] == [path]
    _path, message, fix = problems[0]
    assert message_part in message
    assert fix_part in fix
    assert state() == before


def test_every_problem_in_a_file_is_reported_at_once():
    data = example()
    data["indicators"][0]["unit"] = "kg"
    del data["indicators"][2]["code"]
    data["places"][2]["parent"] = "OH-999"
    data["initiative"]["suppression_threshold"] = 0

    paths = [path for path, _m, _f in rejected(data)]

    assert sorted(paths) == [
        "indicators[0].unit",
        "indicators[2].code",
        "initiative.suppression_threshold",
        "places[2].parent",
    ]
    assert Initiative.objects.count() == 0


def test_a_file_that_is_not_an_object_is_refused(tmp_path):
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")

    with pytest.raises(MetadataRejected) as caught:
        load_metadata(listing)

    assert [(p.path, str(p).startswith("(the whole file): ")) for p in caught.value.problems] == [
        ("", True)
    ]


def test_a_parent_place_may_already_be_in_the_database():
    load_metadata(EXAMPLE)
    data = example()
    data["places"] = [
        {"code": "RPS-OAK", "name": "Oak Elementary", "level": "school", "parent": "RPS"}
    ]

    report = load_metadata(data)

    assert report.counts["places"].created == 1
    assert Place.objects.get(code="RPS-OAK").parent.code == "RPS"


def test_a_loop_through_a_place_already_in_the_database_is_refused():
    load_metadata(EXAMPLE)
    data = example()
    data["places"] = [
        {"code": "39061", "name": "Hamilton County", "level": "county", "parent": "RPS-ELM"}
    ]

    assert [p for p, _m, _f in rejected(data)] == ["places[0].parent"]


def test_targets_may_use_indicators_and_groups_already_in_the_database():
    load_metadata(EXAMPLE)
    data = {
        "format": "backbone-metadata",
        "version": 1,
        "initiative": {"slug": "read-by-grade-3", "name": "Read by Grade 3 (sample)"},
        "targets": [
            {
                "indicator": "grade3-reading",
                "period": "SY2027-28",
                "value": 65,
                "group": {"english-learner": "el"},
            }
        ],
    }

    assert load_metadata(data).counts["targets"].created == 1
    data["targets"][0]["group"] = {"english-learner": "fluent"}
    assert [p for p, _m, _f in rejected(data)] == ["targets[0].group.english-learner"]


def test_an_existing_organization_is_matched_by_name_and_given_its_code():
    org = f.organization("Riverside Public Schools (sample)")

    report = load_metadata(EXAMPLE)

    org.refresh_from_db()
    assert org.external_code == "RPS"
    assert Organization.objects.count() == 2
    assert (report.counts["organizations"].created, report.counts["organizations"].updated) == (
        1,
        1,
    )


def test_an_organization_with_another_code_is_not_silently_recoded():
    org = f.organization("Riverside Public Schools (sample)")
    org.external_code = "OH-043752"
    org.save()

    problems = rejected(example())

    assert [(p, "OH-043752" in fix) for p, _m, fix in problems] == [("organizations[1].code", True)]
    assert Initiative.objects.count() == 0


def test_a_group_target_uses_the_groups_breakdown():
    data = example()
    data["targets"].append(
        {
            "indicator": "grade3-reading",
            "period": "SY2027-28",
            "value": 70,
            "group": {"income": "low-income"},
        }
    )

    load_metadata(data)

    target = Target.objects.get(breakdown__key="income:low-income")
    assert (target.value, target.place) == (Decimal(70), None)


def test_a_dimension_in_use_cannot_be_dropped_from_an_indicator():
    data = example()
    data["targets"].append(
        {
            "indicator": "grade3-reading",
            "period": "2028",
            "value": 70,
            "group": {"income": "low-income"},
        }
    )
    load_metadata(data)
    again = example()
    again["indicators"][0]["dimensions"] = ["english-learner"]

    problems = rejected(again)

    assert [p for p, _m, _f in problems] == ["indicators[0].dimensions"]
    assert set(indicator("grade3-reading").dimensions.values_list("code", flat=True)) == {
        "income",
        "english-learner",
    }


# --- Dry runs and permissions ----------------------------------------------------------------


def test_a_dry_run_counts_the_changes_but_writes_nothing():
    report = load_metadata(EXAMPLE, dry_run=True)

    assert report.dry_run and report.counts["indicators"].created == 3
    assert state() == {name: [] for name in state()}


def test_a_dry_run_of_a_changed_file_counts_updates_and_writes_nothing():
    load_metadata(EXAMPLE)
    before = state()
    data = example()
    data["indicators"][0]["name"] = "Renamed"

    report = load_metadata(data, dry_run=True)

    assert report.counts["indicators"].updated == 1
    assert state() == before


def test_only_the_backbone_may_load_a_file_for_its_initiative():
    load_metadata(EXAMPLE)
    init = Initiative.objects.get(slug="read-by-grade-3")
    partner = Partnership.objects.get(initiative=init, kind=PartnerKind.PARTNER).organization
    steward = f.member(partner, Role.DATA_STEWARD)
    admin = f.member(
        Partnership.objects.get(initiative=init, kind=PartnerKind.BACKBONE).organization,
        Role.BACKBONE_ADMIN,
    )
    data = example()
    data["indicators"][0]["name"] = "Renamed"
    before = state()

    with pytest.raises(PermissionDenied):
        load_metadata(data, actor=steward)
    assert state() == before

    assert load_metadata(data, actor=admin).counts["indicators"].updated == 1
    assert AuditEvent.objects.filter(action="indicator.update", actor=admin).exists()


def test_only_an_operator_may_create_an_initiative():
    person = f.user()

    with pytest.raises(PermissionDenied):
        load_metadata(EXAMPLE, actor=person)
    assert Initiative.objects.count() == 0


# --- The command ------------------------------------------------------------------------------


def test_the_command_prints_the_counts(capsys):
    call_command("load_metadata", str(EXAMPLE))

    out = capsys.readouterr().out
    assert "Loaded “Read by Grade 3 (sample)”." in out
    assert "indicators     3 created, 0 updated, 0 unchanged" in out


def test_the_command_dry_run_saves_nothing(capsys):
    call_command("load_metadata", str(EXAMPLE), "--dry-run")

    assert "nothing was saved" in capsys.readouterr().out
    assert Initiative.objects.count() == 0


def test_the_command_lists_the_problems_and_exits_1(tmp_path, capsys):
    data = example()
    data["indicators"][0]["unit"] = "kg"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(SystemExit) as caught:
        call_command("load_metadata", str(bad))

    assert caught.value.code == 1
    err = capsys.readouterr().err
    assert "indicators[0].unit: “kg” is not one of the allowed values. — Use one of:" in err
    assert "1 problem; nothing was saved" in err
    assert Initiative.objects.count() == 0


def test_the_command_exits_2_when_the_file_is_not_json(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "format": "backbone-metadata",\n  "version": 1\n  "initiative": {}\n}')

    with pytest.raises(SystemExit) as caught:
        call_command("load_metadata", str(broken))

    assert caught.value.code == 2
    assert "line 4, column 3" in capsys.readouterr().err


def test_the_command_exits_2_when_the_file_is_missing(tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        call_command("load_metadata", str(tmp_path / "nowhere.json"))

    assert caught.value.code == 2
    assert "Cannot read" in capsys.readouterr().err


def test_an_unreadable_source_raises_with_the_line_and_column():
    with pytest.raises(MetadataUnreadable, match="line 1, column 2"):
        load_metadata(io.StringIO("{x"))
