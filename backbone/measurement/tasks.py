"""Background tasks of shared measurement (run by ``backbone worker``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from backbone.core.tasks import retried
from backbone.measurement.models import ReportingRound
from backbone.measurement.reminders import send_reminder


@task()
def remind_organization(*, round_id: int, organization_id: int, attempt: int = 1) -> int:
    """Email one partner's stewards that their report is due (retried if sending fails)."""
    rnd = ReportingRound.objects.select_related("initiative").get(pk=round_id)
    with retried(
        remind_organization,
        attempt=attempt,
        initiative=rnd.initiative,
        about=rnd,
        what=_("send the reminder about “%(round)s”") % {"round": rnd.name},
        round_id=round_id,
        organization_id=organization_id,
    ):
        return send_reminder(rnd, organization_id, today=timezone.localdate())
