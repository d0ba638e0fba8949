"""Loading a metadata file, all or nothing: read it, check that the actor may load it, check the
whole file, then write it in one transaction that is rolled back on any problem (or after a dry
run)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from backbone.core import permissions
from backbone.core.models import Initiative
from backbone.core.permissions import COMMAND_LINE, Action, AnyUser
from backbone.measurement.metadata.reader import read_metadata
from backbone.measurement.metadata.references import validate_metadata
from backbone.measurement.metadata.report import MetadataRejected, MetadataReport
from backbone.measurement.metadata.writer import _Writer


def load_metadata(
    source: str | Path | IO | Mapping[str, Any],
    *,
    actor: AnyUser = COMMAND_LINE,
    dry_run: bool = False,
) -> MetadataReport:
    """Create or update the initiative a metadata file describes, all or nothing.

    ``source`` is a file path, an open file or the parsed JSON. Raises ``MetadataUnreadable``
    (not readable, not JSON), ``MetadataRejected`` (any problem; nothing written) or
    ``PermissionDenied``. ``dry_run``: check and count everything, then roll back.
    """
    data = read_metadata(source)
    _authorise(actor, data)
    report = MetadataReport(dry_run=dry_run)
    clean, report.problems = validate_metadata(data)
    if report.problems:
        raise MetadataRejected(report)
    with transaction.atomic():
        _Writer(actor, report).write(clean)
        if report.problems:
            raise MetadataRejected(report)  # rolls back whatever was written
        if dry_run:
            transaction.set_rollback(True)
    return report


def _authorise(actor: AnyUser, data: Any) -> None:
    """The initiative's backbone admins may load its file; only an operator may create one."""
    head = data.get("initiative") if isinstance(data, Mapping) else None
    slug = head.get("slug") if isinstance(head, Mapping) else None
    found = Initiative.objects.filter(slug=slug.strip()).first() if isinstance(slug, str) else None
    if found is not None:
        permissions.require(actor, Action.MANAGE_INITIATIVE, found)
        permissions.require(actor, Action.MANAGE_MEASUREMENT, found)
    elif not permissions.is_operator(actor):
        raise PermissionDenied(Action.MANAGE_INITIATIVE.value)
