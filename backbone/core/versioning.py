"""Optimistic locking for every editable row with a ``version``: a change is written only if
nobody changed the row since the person opened it; otherwise they are told who did (from the
audit trail) and nothing is saved."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.db.models import F

from backbone.core import audit


def validate_changes(
    obj: models.Model, changes: Mapping[str, Any], *, exclude: Iterable[str] = ()
) -> None:
    """The model's field and constraint checks on ``obj`` with ``changes`` applied (``obj``
    itself untouched). Uniqueness is the caller's to check in words of its own."""
    candidate = copy.copy(obj)
    for field, value in changes.items():
        setattr(candidate, field, value)
    candidate.full_clean(exclude=list(exclude), validate_unique=False)


def versioned_update(
    obj: models.Model, *, changes: Mapping[str, Any], expected_version: int
) -> None:
    """Write ``changes`` only if the row is still at ``expected_version`` (one conditional
    UPDATE); else raise ``audit.conflict(obj)``. ``obj`` then holds the new values and version."""
    updated = (
        type(obj)
        .objects.filter(pk=obj.pk, version=expected_version)
        .update(**changes, version=F("version") + 1)
    )
    if updated == 0:
        raise audit.conflict(obj)
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.version = expected_version + 1  # type: ignore[attr-defined]
