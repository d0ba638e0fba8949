"""Reminding partners of a report that is due: who still owes one, and the message they get.

``round_remind`` (the backbone's button, and ``backbone send-reminders`` for a daily schedule)
queues one background task per partner; the task sends one email to that partner's data
stewards and is retried if the mail server fails (``core.tasks``).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from backbone.core import audit
from backbone.core.models import Membership, Organization, Role
from backbone.core.permissions import Action, AnyUser, require
from backbone.measurement.models import SENT_STATUSES, ReportingRound

# ``backbone send-reminders`` reminds of rounds due within this many days, and overdue ones.
DUE_SOON = timedelta(days=7)


def still_owed(rnd: ReportingRound) -> list[Organization]:
    """The round's partners that have not sent their report (none started, draft or returned)."""
    done = set(
        rnd.submissions.filter(status__in=SENT_STATUSES).values_list("organization_id", flat=True)
    )
    return [org for org in rnd.organizations.order_by("name") if org.pk not in done]


def stewards(organization_id: int) -> list[str]:
    """The email addresses of the organization's active data stewards."""
    return sorted(
        Membership.objects.filter(
            organization_id=organization_id, role=Role.DATA_STEWARD, user__is_active=True
        ).values_list("user__email", flat=True)
    )


@transaction.atomic
def round_remind(*, actor: AnyUser, round: ReportingRound) -> list[Organization]:
    """Queue a reminder to every partner that still owes its report; returns those partners."""
    require(actor, Action.REVIEW_DATA, round.initiative)
    owed = still_owed(round) if round.is_open else []
    if owed:
        audit.record(
            actor=actor,
            initiative=round.initiative,
            action="round.remind",
            obj=round,
            summary=_("Sent a reminder about “%(round)s” to %(n)d partners")
            % {"round": round.name, "n": len(owed)},
            after={"organizations": [org.pk for org in owed]},
        )
        from backbone.measurement.tasks import remind_organization  # tasks import this module

        for org in owed:
            transaction.on_commit(
                lambda org=org: remind_organization.enqueue(
                    round_id=round.pk, organization_id=org.pk
                )
            )
    return owed


def rounds_to_remind(today: date) -> list[ReportingRound]:
    """Open rounds due within ``DUE_SOON`` of ``today``, or overdue."""
    return list(
        ReportingRound.objects.filter(is_open=True, due_on__lte=today + DUE_SOON)
        .select_related("initiative", "period")
        .order_by("due_on", "pk")
    )


def send_reminder(rnd: ReportingRound, organization_id: int, *, today: date) -> int:
    """Email the organization's stewards about ``rnd`` if it still owes the report; the number of
    addresses written to (0 when the report arrived meanwhile or nobody stewards the data).
    Safe to run again: at worst a steward gets the same reminder twice."""
    owed = {org.pk: org for org in still_owed(rnd)}
    organization = owed.get(organization_id)
    recipients = stewards(organization_id)
    if organization is None or not recipients or not rnd.is_open:
        return 0
    days = (rnd.due_on - today).days
    body = render_to_string(
        "measurement/email/reminder.txt",
        {
            "round": rnd,
            "organization": organization,
            "days": days,
            "overdue": days < 0,
            "days_late": -days,
            "url": settings.SITE_URL.rstrip("/")
            + reverse("measurement:reporting", kwargs={"slug": rnd.initiative.slug}),
        },
    )
    if days < 0:
        subject = _("Overdue: your report for “%(round)s”") % {"round": rnd.name}
    else:
        subject = _("Reminder: your report for “%(round)s” is due %(due)s") % {
            "round": rnd.name,
            "due": rnd.due_on.isoformat(),
        }
    send_mail(subject, body, None, recipients)
    return len(recipients)
