"""Writes to the measurement model. Setup helpers here are idempotent (find or create)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction

from backbone.core.models import Initiative
from backbone.measurement.models import Breakdown, Dimension, DimensionMember, Period
from backbone.measurement.periods import parse_period


def breakdown_key(members: Mapping[str, str]) -> str:
    """The canonical key of a combination: ``dimension:member`` pairs sorted, joined by ``|``."""
    return "|".join(f"{dim}:{member}" for dim, member in sorted(members.items()))


@transaction.atomic
def dimension_define(
    *, initiative: Initiative, code: str, name: str, members: Sequence[tuple[str, str]]
) -> Dimension:
    """Find or create a dimension and its members (code, name), in the given order."""
    dimension, _ = Dimension.objects.get_or_create(
        initiative=initiative, code=code, defaults={"name": name}
    )
    for order, (member_code, member_name) in enumerate(members):
        DimensionMember.objects.get_or_create(
            dimension=dimension,
            code=member_code,
            defaults={"name": member_name, "sort_order": order},
        )
    return dimension


@transaction.atomic
def breakdown_for(initiative: Initiative, members: Mapping[str, str]) -> Breakdown:
    """The breakdown for ``{dimension code: member code}`` (``{}`` is the total)."""
    key = breakdown_key(members)
    breakdown, created = Breakdown.objects.get_or_create(initiative=initiative, key=key)
    if created and members:
        breakdown.members.set(
            DimensionMember.objects.get(
                dimension__initiative=initiative, dimension__code=dim, code=member
            )
            for dim, member in members.items()
        )
    return breakdown


def period_for(code: str, **options: int) -> Period:
    """The period for a code such as ``2023`` or ``SY2023-24`` (created on first use)."""
    parsed = parse_period(code, **options)
    period, _ = Period.objects.get_or_create(
        code=parsed.code,
        start=parsed.start,
        defaults={"type": parsed.type, "end": parsed.end},
    )
    return period
