"""Reminders of reports due: who is reminded, the email, and a failing mail server's retries.

The worker is the real one (``backbone worker`` = django-tasks' ``db_worker``), run in batch
mode on the test database; only the mail server is replaced, by one that refuses to send.
"""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backbone.core.models import AuditEvent, Role
from backbone.core.tasks import MAX_ATTEMPTS
from backbone.measurement import services as s
from backbone.measurement.models import SubmissionStatus
from backbone.measurement.reminders import round_remind
from tests import factories as f

# The worker closes "old" database connections between tasks, as in production: the test
# database must commit for real (a test transaction would be closed under the test).
pytestmark = pytest.mark.django_db(transaction=True)

REFUSING = "tests.measurement.test_reminders.RefusingBackend"


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def world():
    init = f.initiative("kids")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    school = f.partnership(init, f.organization("School"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD, email="data@clinic.test")
    f.member(clinic.organization, Role.MEMBER, email="member@clinic.test")
    school_steward = f.member(school.organization, Role.DATA_STEWARD, email="data@school.test")
    rnd = s.round_open(
        actor=admin,
        initiative=init,
        name="2024 screening",
        period=s.period_for("2024"),
        due_on=timezone.localdate() + timedelta(days=3),
        indicators=[f.indicator(init, "screened")],
        organizations=[clinic.organization, school.organization],
    )
    return locals()


def work() -> None:
    """Run every task that is due now, as ``backbone worker`` does, then stop."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def remind(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return round_remind(actor=world["admin"], round=world["rnd"])


def test_every_partner_that_owes_its_report_gets_one_email_to_its_stewards(
    world, django_capture_on_commit_callbacks
):
    owed = remind(world, django_capture_on_commit_callbacks)
    assert [o.name for o in owed] == ["Clinic", "School"]
    assert mail.outbox == []  # queued, not sent by the web process
    work()
    sent = sorted(mail.outbox, key=lambda m: m.to)
    assert [m.to for m in sent] == [["data@clinic.test"], ["data@school.test"]]
    clinic = sent[0]
    assert "2024 screening" in clinic.subject and "is due" in clinic.subject
    assert "the report of Clinic for “2024 screening” (2024)" in clinic.body
    assert "http://127.0.0.1:8000/i/kids/reporting/" in clinic.body
    assert DBTaskResult.objects.successful().count() == 2
    event = AuditEvent.objects.get(action="round.remind")
    assert event.actor == world["admin"] and event.summary.endswith("to 2 partners")


def test_a_partner_that_has_reported_is_not_reminded(world, django_capture_on_commit_callbacks):
    submission = world["rnd"].submissions.get(organization__name="School")
    submission.status = SubmissionStatus.SUBMITTED
    submission.save()
    owed = remind(world, django_capture_on_commit_callbacks)
    assert [o.name for o in owed] == ["Clinic"]
    work()
    assert [m.to for m in mail.outbox] == [["data@clinic.test"]]


def test_a_report_that_arrives_before_the_task_runs_cancels_its_email(
    world, django_capture_on_commit_callbacks
):
    remind(world, django_capture_on_commit_callbacks)
    world["rnd"].submissions.filter(organization__name="School").update(
        status=SubmissionStatus.APPROVED
    )
    work()
    assert [m.to for m in mail.outbox] == [["data@clinic.test"]]


def test_an_overdue_report_says_how_late_it_is(world, django_capture_on_commit_callbacks):
    rnd = world["rnd"]
    rnd.due_on = timezone.localdate() - timedelta(days=2)
    rnd.save()
    remind(world, django_capture_on_commit_callbacks)
    work()
    assert mail.outbox[0].subject.startswith("Overdue:")
    assert "It is 2 days late." in mail.outbox[0].body


def test_only_the_backbone_sends_reminders(world):
    for person in (world["steward"], world["school_steward"]):
        with pytest.raises(PermissionDenied):
            round_remind(actor=person, round=world["rnd"])
    assert DBTaskResult.objects.count() == 0
    assert not AuditEvent.objects.filter(action="round.remind").exists()


def _let_time_pass() -> None:
    """The retry delay passes (the queue's clock is the database row's ``run_after``)."""
    DBTaskResult.objects.filter(run_after__gt=timezone.now()).update(
        run_after=timezone.now() - timedelta(seconds=1)
    )


def test_a_failed_send_is_retried_later_and_then_delivered(
    world, settings, django_capture_on_commit_callbacks
):
    world["rnd"].organizations.remove(world["school"].organization)
    settings.EMAIL_BACKEND = REFUSING
    remind(world, django_capture_on_commit_callbacks)
    work()
    failed = DBTaskResult.objects.failed().get()
    assert "SMTPServerDisconnected" in failed.exception_class_path
    retry = DBTaskResult.objects.exclude(pk=failed.pk).get()
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=30)  # not at once: a minute on
    work()  # nothing is due yet
    assert DBTaskResult.objects.successful().count() == 0 and mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # server is back
    _let_time_pass()
    work()
    assert [m.to for m in mail.outbox] == [["data@clinic.test"]]
    assert DBTaskResult.objects.successful().get().args_kwargs["kwargs"]["attempt"] == 2
    assert not AuditEvent.objects.filter(action="task.failed").exists()


def test_a_send_that_keeps_failing_is_reported_in_the_activity_log_not_lost(
    world, settings, django_capture_on_commit_callbacks
):
    world["rnd"].organizations.remove(world["school"].organization)
    settings.EMAIL_BACKEND = REFUSING
    remind(world, django_capture_on_commit_callbacks)
    for _attempt in range(MAX_ATTEMPTS):
        _let_time_pass()
        work()
    assert DBTaskResult.objects.failed().count() == MAX_ATTEMPTS
    assert DBTaskResult.objects.exclude(status="FAILED").count() == 0  # no fifth attempt
    event = AuditEvent.objects.get(action="task.failed")
    assert event.initiative == world["init"]
    assert event.summary.startswith(
        f"Could not send the reminder about “2024 screening” after {MAX_ATTEMPTS} tries"
    )
    assert event.after["arguments"] == {
        "round_id": world["rnd"].pk,
        "organization_id": world["clinic"].organization_id,
    }


def test_send_reminders_queues_rounds_due_within_a_week_or_overdue(
    world, django_capture_on_commit_callbacks
):
    admin, init = world["admin"], world["init"]
    later = s.round_open(
        actor=admin,
        initiative=init,
        name="Next year",
        period=s.period_for("2025"),
        due_on=timezone.localdate() + timedelta(days=30),
        indicators=[world["rnd"].indicators.get()],
        organizations=[world["clinic"].organization],
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", verbosity=0)
    queued = DBTaskResult.objects.all()
    assert {r.args_kwargs["kwargs"]["round_id"] for r in queued} == {world["rnd"].pk}
    assert later.pk not in {r.args_kwargs["kwargs"]["round_id"] for r in queued}
