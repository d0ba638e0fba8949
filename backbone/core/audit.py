"""Writing the audit trail. Called by services inside their transaction, never by views."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from backbone.core.errors import ConflictError
from backbone.core.models import AuditEvent, Initiative, User


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """A JSON-safe picture of ``fields`` of ``obj`` for the before/after columns."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value if isinstance(value, str | int | bool | type(None)) else str(value)
    return out


def record(
    *,
    actor: object,
    initiative: Initiative | None,
    action: str,
    obj: models.Model,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if isinstance(actor, User) else None,
        initiative=initiative,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        summary=summary[:300],
        before=before,
        after=after,
    )


def conflict(obj: models.Model) -> ConflictError:
    """The refusal for a stale edit of ``obj``: names who changed it last (from this trail), and
    when, so the person knows whose work they would have overwritten."""
    last = (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .first()
    )
    who = str(last.actor) if last and last.actor else _("someone else")
    return ConflictError(
        _(
            "%(who)s changed this while you were editing it, so nothing of yours was saved. "
            "The page now shows what they saved: make your change again if it is still needed."
        )
        % {"who": who},
        changed_by=who,
        changed_at=last.at if last else None,
    )
