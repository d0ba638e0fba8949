"""The backbone's review pages: the queue, one report beside the previous period, approve and
return (with their failure paths), round completeness, opening a round, a value's history and
restoring an old version."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backbone.core.models import Role
from backbone.core.permissions import COMMAND_LINE
from backbone.measurement import services as s
from backbone.measurement.models import (
    Observation,
    ObservationChange,
    ObservationStatus,
    ReportingRound,
    Submission,
    SubmissionStatus,
)
from backbone.measurement.validation import Figures
from tests import factories as f

pytestmark = pytest.mark.django_db


def _record(w, org, submission, period, figures_by_group):
    entries = [
        s.Entry(
            indicator=w["homeless"],
            place=w["place"],
            period=period,
            breakdown=s.breakdown_for(w["init"], {"shelter": g} if g else {}),
            organization=org,
            figures=Figures(value=Decimal(v)),
        )
        for g, v in figures_by_group.items()
    ]
    s.observations_record(
        actor=COMMAND_LINE, initiative=w["init"], entries=entries, submission=submission
    )


def _round(w, year, orgs, due_on):
    return s.round_open(
        actor=COMMAND_LINE,
        initiative=w["init"],
        name=f"{year} report",
        period=s.period_for(year),
        due_on=due_on,
        indicators=[w["homeless"]],
        organizations=orgs,
    )


@pytest.fixture
def w() -> dict:
    """Partners Clinic (a steward, a member) and Other; 2024 approved for Clinic; in the 2025
    round Clinic has submitted (with a large rise and groups that do not add up), Other has not
    started."""
    init = f.initiative("city")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic")).organization
    other = f.partnership(init, f.organization("Other")).organization
    steward = f.member(clinic, Role.DATA_STEWARD)
    member = f.member(clinic, Role.MEMBER)
    other_steward = f.member(other, Role.DATA_STEWARD)
    shelter = s.dimension_define(
        initiative=init,
        code="shelter",
        name="Shelter status",
        members=[("sheltered", "Sheltered"), ("unsheltered", "Unsheltered")],
    )
    homeless = f.indicator(init, "homeless", dimensions=[shelter])
    place = f.place(init, "R")
    w = locals()
    last = _round(w, "2024", [clinic], date(2025, 1, 31))
    sub_2024 = last.submissions.get()
    _record(
        w, clinic, sub_2024, s.period_for("2024"), {"": 100, "sheltered": 60, "unsheltered": 40}
    )
    sub_2024 = s.submission_submit(actor=COMMAND_LINE, submission=sub_2024, expected_version=1)
    s.submission_approve(actor=COMMAND_LINE, submission=sub_2024, expected_version=2)
    current = _round(w, "2025", [clinic, other], timezone.localdate() + timedelta(days=10))
    sub = current.submissions.get(organization=clinic)
    _record(w, clinic, sub, s.period_for("2025"), {"": 150, "sheltered": 70, "unsheltered": 50})
    sub = s.submission_submit(actor=steward, submission=sub, expected_version=1)
    w.update(last=last, current=current, sub=sub, sub_2024=sub_2024)
    return w


def _url(name, w, *args):
    return reverse(f"measurement:{name}", args=[w["init"].slug, *args])


def _as(client, user):
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Queue and review page ------------------------------------------------------------------


def test_queue_lists_reports_waiting_oldest_first_and_recent_decisions(client, w):
    later = Submission.objects.get(round=w["current"], organization=w["other"])
    _record(w, w["other"], later, s.period_for("2025"), {"": 5})
    s.submission_submit(actor=COMMAND_LINE, submission=later, expected_version=1)
    response = _as(client, w["admin"]).get(_url("review_queue", w))
    assert response.status_code == 200
    assert [x.organization.name for x in response.context["waiting"]] == ["Clinic", "Other"]
    assert [x.pk for x in response.context["decided"]] == [w["sub_2024"].pk]
    page = response.content.decode()
    assert "Waiting for your review (2 reports)" in page
    assert "2 of 2 reported, 0 approved" in page  # 2025
    assert "1 of 1 reported, 1 approved" in page  # 2024
    assert page.index("2025 report") < page.index("2024 report")


def test_review_page_shows_previous_values_changes_and_warnings(client, w):
    response = _as(client, w["admin"]).get(_url("review_submission", w, w["sub"].pk))
    assert response.status_code == 200
    rows = {r.group: r for r in response.context["rows"]}
    total = rows["Total (everyone)"]
    assert (total.observation.value, total.previous.value) == (150, 100)
    assert (total.change.difference, total.change.relative, total.change.large) == (50, 50, True)
    assert rows["Sheltered"].change.large is False  # 60 → 70 is a sixth
    page = response.content.decode()
    assert "Up 50 (+50%)" in page
    assert "Large change: check it" in page
    assert "The Shelter status groups add up to 120, but the total is 150." in page
    assert "Approve this report" in page


def test_no_change_is_shown_across_a_change_of_definition(client, w):
    s.indicator_update(
        actor=w["admin"],
        indicator=w["homeless"],
        changes={"definition": "People without a home, counted all year"},
        expected_version=w["homeless"].version,
        effective_period=s.period_for("2025"),
        reason="Counted all year from 2025",
    )
    response = _as(client, w["admin"]).get(_url("review_submission", w, w["sub"].pk))
    total = {r.group: r for r in response.context["rows"]}["Total (everyone)"]
    assert total.previous.value == 100 and total.change is None
    page = response.content.decode()
    assert "Not comparable: the definition changed in 2025." in page
    assert "Up 50 (+50%)" not in page and "Large change: check it" not in page


def test_a_steward_cannot_see_the_queue_or_a_report_to_review(client, w):
    client = _as(client, w["steward"])
    assert client.get(_url("review_queue", w)).status_code == 403
    assert client.get(_url("review_submission", w, w["sub"].pk)).status_code == 403


def test_another_initiatives_submission_is_not_found(client, w):
    elsewhere = f.initiative("elsewhere")
    admin = f.backbone_admin(elsewhere)
    client = _as(client, admin)
    assert client.get(reverse("measurement:review_queue", args=["elsewhere"])).status_code == 200
    for name in ("review_submission",):
        url = reverse(f"measurement:{name}", args=["elsewhere", w["sub"].pk])
        assert client.get(url).status_code == 404
    url = reverse("measurement:review_approve", args=["elsewhere", w["sub"].pk])
    assert client.post(url, {"version": w["sub"].version}).status_code == 404
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.SUBMITTED


# --- Approve and return ---------------------------------------------------------------------


def test_approving_locks_the_values_and_goes_back_to_the_queue(client, w):
    response = _as(client, w["admin"]).post(
        _url("review_approve", w, w["sub"].pk), {"version": w["sub"].version}, follow=True
    )
    assert response.redirect_chain[-1][0] == _url("review_queue", w)
    assert "Approved the report of Clinic." in _messages(response)[0]
    w["sub"].refresh_from_db()
    assert (w["sub"].status, w["sub"].decided_by) == (SubmissionStatus.APPROVED, w["admin"])
    assert set(w["sub"].observations.values_list("status", flat=True)) == {"approved"}


def test_returning_without_a_reason_is_refused_and_changes_nothing(client, w):
    before = (w["sub"].version, sorted(w["sub"].observations.values_list("version", flat=True)))
    response = _as(client, w["admin"]).post(
        _url("review_return", w, w["sub"].pk), {"version": w["sub"].version, "reason": "  "}
    )
    assert response.status_code == 422
    assert "Say why the report is returned" in response.content.decode()
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.SUBMITTED
    after = (w["sub"].version, sorted(w["sub"].observations.values_list("version", flat=True)))
    assert after == before


def test_returning_with_a_reason_sends_it_back_to_the_partner(client, w):
    response = _as(client, w["admin"]).post(
        _url("review_return", w, w["sub"].pk),
        {"version": w["sub"].version, "reason": "The total rose by half: please check."},
    )
    assert response.status_code == 302
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.RETURNED
    assert w["sub"].return_reason == "The total rose by half: please check."
    assert set(w["sub"].observations.values_list("status", flat=True)) == {"returned"}


def test_the_second_of_two_admins_deciding_at_once_is_told_and_overwrites_nothing(client, w):
    seen = w["sub"].version
    second = f.backbone_admin(w["init"])
    _as(client, w["admin"]).post(_url("review_approve", w, w["sub"].pk), {"version": seen})
    response = _as(Client(), second).post(
        _url("review_return", w, w["sub"].pk), {"version": seen, "reason": "Too high"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _url("review_submission", w, w["sub"].pk)
    assert "This report changed (it is now “Approved”)" in _messages(response)[0]
    w["sub"].refresh_from_db()
    assert (w["sub"].status, w["sub"].decided_by, w["sub"].return_reason) == (
        SubmissionStatus.APPROVED,
        w["admin"],
        "",
    )


def test_approving_an_already_decided_report_is_refused(client, w):
    s.submission_approve(actor=COMMAND_LINE, submission=w["sub"], expected_version=w["sub"].version)
    w["sub"].refresh_from_db()
    decided_at, version = w["sub"].decided_at, w["sub"].version
    response = _as(client, w["admin"]).post(
        _url("review_approve", w, w["sub"].pk), {"version": version}, follow=True
    )
    assert "A report that is “Approved” cannot be approved." in _messages(response)[0]
    w["sub"].refresh_from_db()
    assert (w["sub"].decided_at, w["sub"].version, w["sub"].decided_by) == (
        decided_at,
        version,
        None,
    )
    assert "Approve this report" not in response.content.decode()


def test_approving_without_the_version_seen_answers_422_and_changes_nothing(client, w):
    response = _as(client, w["admin"]).post(_url("review_approve", w, w["sub"].pk), {})
    assert response.status_code == 422
    w["sub"].refresh_from_db()
    assert w["sub"].status == SubmissionStatus.SUBMITTED


def test_a_steward_cannot_approve_or_return(client, w):
    client = _as(client, w["steward"])
    version = w["sub"].version
    assert (
        client.post(_url("review_approve", w, w["sub"].pk), {"version": version}).status_code == 403
    )
    response = client.post(
        _url("review_return", w, w["sub"].pk), {"version": version, "reason": "x"}
    )
    assert response.status_code == 403
    w["sub"].refresh_from_db()
    assert (w["sub"].status, w["sub"].version) == (SubmissionStatus.SUBMITTED, version)


def test_approving_needs_a_post(client, w):
    assert _as(client, w["admin"]).get(_url("review_approve", w, w["sub"].pk)).status_code == 405


# --- Rounds ---------------------------------------------------------------------------------


def test_completeness_counts_every_expected_partner_and_flags_overdue(client, w):
    ReportingRound.objects.filter(pk=w["current"].pk).update(due_on=date(2025, 1, 1))
    response = _as(client, w["admin"]).get(_url("review_round", w, w["current"].pk))
    assert response.status_code == 200
    c = response.context["completeness"]
    assert [(r.organization.name, r.state, r.overdue) for r in c.rows] == [
        ("Clinic", "submitted", False),
        ("Other", "not_started", True),
    ]
    assert (c.expected, c.reported, c.approved, c.not_started, c.overdue) == (2, 1, 0, 1, 1)
    page = response.content.decode()
    assert "1 of 2 reported" in page
    assert "Not started" in page and "Overdue" in page


def test_nobody_is_overdue_for_a_closed_round(client, w):
    ReportingRound.objects.filter(pk=w["current"].pk).update(due_on=date(2025, 1, 1), is_open=False)
    response = _as(client, w["admin"]).get(_url("review_round", w, w["current"].pk))
    c = response.context["completeness"]
    assert [(r.organization.name, r.overdue) for r in c.rows] == [
        ("Clinic", False),
        ("Other", False),
    ]
    assert c.overdue == 0 and "This round is closed." in response.content.decode()
    assert "Send a reminder" not in response.content.decode()


def test_a_draft_with_values_is_in_progress_not_not_started(client, w):
    draft = Submission.objects.get(round=w["current"], organization=w["other"])
    _record(w, w["other"], draft, s.period_for("2025"), {"": 5})
    response = _as(client, w["admin"]).get(_url("review_round", w, w["current"].pk))
    row = response.context["completeness"].rows[1]
    assert (row.state, row.state_label, row.value_count) == ("draft", "Draft", 1)
    assert row.when is not None


def test_opening_a_round_asks_each_chosen_partner(client, w):
    response = _as(client, w["admin"]).post(
        _url("review_round_new", w),
        {
            "name": "2026 report",
            "period": "2026",
            "due_on": "2027-01-31",
            "indicators": [w["homeless"].pk],
            "organizations": [w["clinic"].pk, w["other"].pk],
        },
    )
    made = ReportingRound.objects.get(name="2026 report")
    assert response.status_code == 302
    assert response.url == _url("review_round", w, made.pk)
    assert (made.period.code, made.due_on) == ("2026", date(2027, 1, 31))
    assert made.submissions.count() == 2


def test_opening_a_round_with_mistakes_answers_422_and_opens_nothing(client, w):
    client = _as(client, w["admin"])
    response = client.post(_url("review_round_new", w), {"name": "Bad", "period": "26"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "“26” is not a period." in page
    response = client.post(
        _url("review_round_new", w),
        {
            "name": "Quarter",
            "period": "2026Q1",
            "due_on": "2026-04-30",
            "indicators": [w["homeless"].pk],
            "organizations": [w["clinic"].pk],
        },
    )
    assert response.status_code == 422
    assert "reported for another kind of period" in response.content.decode()
    assert not ReportingRound.objects.filter(name__in=["Bad", "Quarter"]).exists()


def test_a_steward_cannot_open_a_round(client, w):
    client = _as(client, w["steward"])
    assert client.get(_url("review_round_new", w)).status_code == 403
    assert client.get(_url("review_round", w, w["current"].pk)).status_code == 403


# --- History and restore --------------------------------------------------------------------


def _total(w, year="2025"):
    return Observation.objects.get(
        indicator=w["homeless"], period__code=year, breakdown__key="", organization=w["clinic"]
    )


def test_history_shows_every_change_with_who_and_why(client, w):
    obs = _total(w)
    response = _as(client, w["admin"]).get(_url("review_history", w, obs.pk))
    assert response.status_code == 200
    entries = response.context["entries"]
    assert [e.change.version for e in entries] == [2, 1]
    assert [(x.label, x.before, x.after) for x in entries[0].fields] == [
        ("Status", "Draft", "Submitted")
    ]
    assert entries[0].who == str(w["steward"])
    assert entries[1].who == "command line"
    page = response.content.decode()
    assert "Submitted for review" in page
    assert "Status: Draft → Submitted" in page


def test_who_may_see_a_values_history(client, w):
    url = _url("review_history", w, _total(w).pk)
    assert _as(client, w["steward"]).get(url).status_code == 200
    assert "Restore version" not in client.get(url).content.decode()
    assert _as(client, w["member"]).get(url).status_code == 403
    assert _as(client, w["other_steward"]).get(url).status_code == 403
    outsider = f.backbone_admin(f.initiative("elsewhere"))
    assert _as(client, outsider).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def _corrected(w):
    """The admin corrects Clinic's 2025 total from 150 to 120 (version 3); returns it."""
    obs = _total(w)
    entry = s.Entry(
        indicator=w["homeless"],
        place=w["place"],
        period=obs.period,
        breakdown=obs.breakdown,
        organization=w["clinic"],
        figures=Figures(value=Decimal(120)),
        expected_version=obs.version,
    )
    return s.observation_record(actor=w["admin"], entry=entry, reason="Double counting")


def test_restoring_an_old_version_adds_a_new_audited_version(client, w):
    obs = _corrected(w)
    assert (obs.version, obs.value) == (3, 120)
    client = _as(client, w["admin"])
    history = client.get(_url("review_history", w, obs.pk)).content.decode()
    assert "Restore version 2" in history and "Restore version 3" not in history
    confirm = client.get(_url("review_restore", w, obs.pk, 2))
    assert confirm.status_code == 200
    assert [(x.label, x.before, x.after) for x in confirm.context["preview"]] == [
        ("Value", "120", "150")
    ]
    response = client.post(_url("review_restore", w, obs.pk, 2), {"version": 3}, follow=True)
    assert "Restored the figures of version 2. They are now version 4." in _messages(response)
    obs.refresh_from_db()
    assert (obs.value, obs.version) == (150, 4)
    latest = ObservationChange.objects.get(observation=obs, version=4)
    assert (latest.actor, latest.reason, latest.before["value"], latest.after["value"]) == (
        w["admin"],
        "Restored version 2",
        "120",
        "150",
    )
    assert "Restored version 2" in response.content.decode()


def test_restoring_from_a_stale_page_is_refused_and_changes_nothing(client, w):
    obs = _corrected(w)
    response = _as(client, w["admin"]).post(
        _url("review_restore", w, obs.pk, 2), {"version": 2}, follow=True
    )
    assert "while you were editing it, so nothing of yours was saved" in _messages(response)[0]
    obs.refresh_from_db()
    assert (obs.value, obs.version) == (120, 3)


def test_a_steward_cannot_restore(client, w):
    obs = _corrected(w)
    client = _as(client, w["steward"])
    assert client.get(_url("review_restore", w, obs.pk, 2)).status_code == 403
    assert client.post(_url("review_restore", w, obs.pk, 2), {"version": 3}).status_code == 403
    obs.refresh_from_db()
    assert (obs.value, obs.version, obs.status) == (120, 3, ObservationStatus.SUBMITTED)


def test_restoring_a_version_that_does_not_exist_is_not_found(client, w):
    obs = _total(w)
    assert _as(client, w["admin"]).get(_url("review_restore", w, obs.pk, 99)).status_code == 404


def test_the_admin_sends_a_reminder_to_the_partners_who_still_owe_their_report(
    client, w, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    admin = _as(client, w["admin"])
    page = admin.get(_url("review_round", w, w["current"].pk)).content.decode()
    assert "1 partner has not sent its report yet" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(_url("review_round_remind", w, w["current"].pk), follow=True)
    assert "A reminder is on its way to the data stewards of: Other." in response.content.decode()
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["kwargs"]["organization_id"] == w["other"].pk


def test_a_steward_cannot_send_reminders(client, w):
    from django_tasks_db.models import DBTaskResult

    response = _as(client, w["steward"]).post(_url("review_round_remind", w, w["current"].pk))
    assert response.status_code in (403, 404)
    assert DBTaskResult.objects.count() == 0
