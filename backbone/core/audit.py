"""Writing the audit trail. Called by services inside their transaction, never by views."""

from __future__ import annotations

from typing import Any

from django.db import models

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
