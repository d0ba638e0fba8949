"""Recording values, the reporting cycle, history and definition versions, as users meet them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from backbone.core.errors import ConflictError, DomainError
from backbone.core.models import Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.models import (
    Annotation,
    Observation,
    ObservationStatus,
    SubmissionStatus,
    Unit,
)
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def world():
    init = f.initiative("kids")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    other = f.partnership(init, f.organization("Other clinic"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD)
    screened = f.rate_indicator(init, "screened")
    homeless = f.indicator(init, "homeless")
    county = f.place(init, "C1")
    period = s.period_for("2024")
    total = s.breakdown_for(init, {})
    return locals()


def entry(w, indicator="screened", org="clinic", expected_version=None, **figures):
    organization = w[org].organization if org else None
    return s.Entry(
        indicator=w[indicator],
        place=w["county"],
        period=w["period"],
        breakdown=w["total"],
        organization=organization,
        figures=Figures(**{k: D(str(v)) for k, v in figures.items()}),
        expected_version=expected_version,
    )


def test_a_steward_records_a_draft_and_its_value_is_computed_from_the_counts(world):
    obs = s.observation_record(
        actor=world["steward"], entry=entry(world, numerator=19, denominator=110)
    )
    assert obs.status == ObservationStatus.DRAFT
    assert round(obs.value, 2) == D("17.27")
    change = obs.changes.get()
    assert change.version == 1 and change.actor == world["steward"] and change.before is None


def test_recording_the_same_figures_again_changes_nothing(world):
    s.observation_record(actor=world["steward"], entry=entry(world, numerator=9, denominator=10))
    result = s.observations_record(
        actor=world["steward"],
        initiative=world["init"],
        entries=[entry(world, numerator=9, denominator=10)],
    )
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Observation.objects.get().version == 1


def test_a_changed_figure_is_a_new_audited_version(world):
    s.observation_record(actor=world["steward"], entry=entry(world, numerator=9, denominator=10))
    obs = s.observation_record(
        actor=world["steward"],
        entry=entry(world, numerator=8, denominator=10, expected_version=1),
        reason="typo",
    )
    assert obs.version == 2
    change = obs.changes.get(version=2)
    assert change.before["numerator"] == "9" and change.after["numerator"] == "8"
    assert change.reason == "typo"


def test_a_write_based_on_an_old_version_is_refused_and_names_who_changed_it(world):
    s.observation_record(actor=world["steward"], entry=entry(world, numerator=9, denominator=10))
    s.observation_record(
        actor=world["admin"], entry=entry(world, numerator=7, denominator=10, expected_version=1)
    )
    with pytest.raises(ConflictError) as err:
        s.observation_record(
            actor=world["steward"],
            entry=entry(world, numerator=5, denominator=10, expected_version=1),
        )
    assert str(world["admin"]) in err.value.message
    assert Observation.objects.get().numerator == 7  # the admin's figure is kept


def test_invalid_figures_are_refused_with_the_reason(world):
    with pytest.raises(s.ValidationFailed) as err:
        s.observation_record(
            actor=world["steward"], entry=entry(world, numerator=12, denominator=10)
        )
    assert "larger than the denominator" in err.value.problems[0].message
    assert not Observation.objects.exists()


def test_a_steward_cannot_report_for_another_organization_or_community_wide(world):
    with pytest.raises(PermissionDenied):
        s.observation_record(
            actor=world["steward"], entry=entry(world, org="other", numerator=1, denominator=2)
        )
    with pytest.raises(PermissionDenied):
        s.observation_record(actor=world["steward"], entry=entry(world, "homeless", None, value=5))
    assert not Observation.objects.exists()


def test_the_backbones_community_wide_figures_are_approved_at_once(world):
    obs = s.observation_record(actor=world["admin"], entry=entry(world, "homeless", None, value=5))
    assert obs.status == ObservationStatus.APPROVED
    obs = s.observation_record(actor=COMMAND_LINE, entry=entry(world, "homeless", None, value=6))
    assert obs.value == 6 and obs.changes.get(version=2).actor is None


def test_one_bad_entry_in_a_batch_saves_none_of_it(world):
    good = entry(world, numerator=1, denominator=2)
    bad = s.Entry(**{**good.__dict__, "place": f.place(world["init"], "C2")})
    bad = s.Entry(**{**bad.__dict__, "figures": Figures(numerator=D(3), denominator=D(2))})
    with pytest.raises(s.ValidationFailed) as err:
        s.observations_record(actor=world["steward"], initiative=world["init"], entries=[good, bad])
    assert err.value.row == 1
    assert not Observation.objects.exists()


def test_the_reporting_cycle_submit_return_resubmit_approve(world):
    init, steward, admin = world["init"], world["steward"], world["admin"]
    rnd = s.round_open(
        actor=admin,
        initiative=init,
        name="2024 screening",
        period=world["period"],
        due_on=date(2025, 1, 31),
        indicators=[world["screened"]],
        organizations=[world["clinic"].organization],
    )
    sub = rnd.submissions.get()
    with pytest.raises(DomainError, match="no values"):
        s.submission_submit(actor=steward, submission=sub, expected_version=1)
    s.observation_record(
        actor=steward, entry=entry(world, numerator=9, denominator=10), submission=sub
    )
    sub = s.submission_submit(actor=steward, submission=sub, expected_version=1)
    assert sub.status == SubmissionStatus.SUBMITTED and sub.submitted_by == steward
    obs = Observation.objects.get()
    assert obs.status == ObservationStatus.SUBMITTED
    # Locked while under review.
    with pytest.raises(s.Locked):
        s.observation_record(actor=steward, entry=entry(world, numerator=8, denominator=10))
    # Only the backbone reviews; a steward cannot approve their own report.
    with pytest.raises(PermissionDenied):
        s.submission_approve(actor=steward, submission=sub, expected_version=sub.version)
    with pytest.raises(DomainError, match="why"):
        s.submission_return(actor=admin, submission=sub, reason=" ", expected_version=sub.version)
    sub = s.submission_return(
        actor=admin, submission=sub, reason="Check the denominator", expected_version=sub.version
    )
    assert sub.return_reason == "Check the denominator"
    assert Observation.objects.get().status == ObservationStatus.RETURNED
    s.observation_record(
        actor=steward, entry=entry(world, numerator=9, denominator=12), submission=sub
    )
    assert Observation.objects.get().status == ObservationStatus.DRAFT
    sub = s.submission_submit(actor=steward, submission=sub, expected_version=sub.version)
    sub = s.submission_approve(actor=admin, submission=sub, expected_version=sub.version)
    obs = Observation.objects.get()
    assert obs.status == ObservationStatus.APPROVED and obs.denominator == 12
    with pytest.raises(s.Locked):
        s.observation_record(actor=steward, entry=entry(world, numerator=1, denominator=12))
    # A stale approval (someone else decided first) is a conflict, not a second decision.
    with pytest.raises(ConflictError):
        s.submission_approve(actor=admin, submission=sub, expected_version=sub.version - 1)
    reasons = list(obs.changes.order_by("version").values_list("reason", flat=True))
    assert reasons[-1] == "Approved"
    assert "Returned: Check the denominator" in reasons


def test_a_round_only_asks_partners(world):
    with pytest.raises(DomainError, match="Not partners"):
        s.round_open(
            actor=world["admin"],
            initiative=world["init"],
            name="x",
            period=world["period"],
            due_on=date(2025, 1, 1),
            indicators=[world["screened"]],
            organizations=[f.organization("Stranger")],
        )


def test_restore_puts_an_old_version_back_as_a_new_version(world):
    steward = world["steward"]
    s.observation_record(actor=steward, entry=entry(world, numerator=9, denominator=10))
    obs = s.observation_record(
        actor=steward, entry=entry(world, numerator=1, denominator=10, expected_version=1)
    )
    admin = world["admin"]
    obs = s.observation_restore(actor=admin, observation=obs, version=1, expected_version=2)
    assert obs.version == 3 and obs.numerator == 9
    assert obs.changes.get(version=3).reason == "Restored version 1"
    with pytest.raises(ConflictError):
        s.observation_restore(actor=admin, observation=obs, version=2, expected_version=2)


def test_a_partner_cannot_restore_even_its_own_draft(world):
    steward = world["steward"]
    s.observation_record(actor=steward, entry=entry(world, numerator=9, denominator=10))
    obs = s.observation_record(
        actor=steward, entry=entry(world, numerator=1, denominator=10, expected_version=1)
    )
    with pytest.raises(PermissionDenied):
        s.observation_restore(actor=steward, observation=obs, version=1, expected_version=2)
    obs.refresh_from_db()
    assert (obs.version, obs.numerator) == (2, 1) and obs.changes.count() == 2


def test_a_changed_definition_is_a_new_version_with_a_series_break(world):
    indicator, admin = world["screened"], world["admin"]
    with pytest.raises(DomainError, match="changes what is measured"):
        s.indicator_update(
            actor=admin, indicator=indicator, changes={"unit": Unit.RATE}, expected_version=1
        )
    s.indicator_update(
        actor=admin,
        indicator=indicator,
        changes={"definition": "Children aged 0–5 screened", "name": "Screened"},
        expected_version=1,
        effective_period=s.period_for("2025"),
        reason="Age range widened",
    )
    indicator.refresh_from_db()
    assert (indicator.definition_version, indicator.version) == (2, 2)
    assert indicator.revisions.get().reason == "Age range widened"
    note = Annotation.objects.get(indicator=indicator)
    assert note.breaks_comparability and "Age range widened" in note.text
    assert [p.code for p in s.series_breaks(indicator)] == ["2025"]
    # A plain change is no new definition.
    s.indicator_update(
        actor=admin, indicator=indicator, changes={"is_public": True}, expected_version=2
    )
    indicator.refresh_from_db()
    assert indicator.definition_version == 2
    with pytest.raises(ConflictError):
        s.indicator_update(
            actor=admin, indicator=indicator, changes={"name": "x"}, expected_version=2
        )


def test_a_partner_can_never_change_an_indicator(world):
    with pytest.raises(PermissionDenied):
        s.indicator_update(
            actor=world["steward"],
            indicator=world["screened"],
            changes={"name": "Mine now"},
            expected_version=1,
        )


def test_targets_for_everyone_and_for_a_group(world):
    init, admin = world["init"], world["admin"]
    s.dimension_define(initiative=init, code="race", name="Race", members=[("black", "Black")])
    group = s.breakdown_for(init, {"race": "black"})
    everyone = s.target_set(
        actor=admin, indicator=world["screened"], period=s.period_for("2030"), value=D(90)
    )
    black = s.target_set(
        actor=admin,
        indicator=world["screened"],
        period=s.period_for("2030"),
        value=D(85),
        breakdown=group,
    )
    assert everyone.breakdown.is_total and black.breakdown == group
    with pytest.raises(PermissionDenied):
        s.target_set(
            actor=world["steward"], indicator=world["screened"], period=world["period"], value=1
        )
