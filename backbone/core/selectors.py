"""Shared reads about initiatives and their partners. Start from ``tenancy`` querysets."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.core import tenancy
from backbone.core.models import Initiative, PartnerKind, Partnership


@dataclass(frozen=True)
class PartnerSummary:
    """Who takes part in an initiative, in numbers."""

    backbones: tuple[Partnership, ...]
    by_kind: tuple[tuple[str, int], ...]  # (label, organizations), every kind, in a fixed order
    signed: int  # organizations that signed the commitment to the common agenda
    total: int


def partner_summary(initiative: Initiative) -> PartnerSummary:
    partnerships = list(tenancy.partnerships_of(initiative))
    counts = dict.fromkeys(PartnerKind, 0)
    for p in partnerships:
        counts[PartnerKind(p.kind)] += 1
    return PartnerSummary(
        backbones=tuple(p for p in partnerships if p.kind == PartnerKind.BACKBONE),
        by_kind=tuple((kind.label, n) for kind, n in counts.items()),
        signed=sum(1 for p in partnerships if p.has_signed),
        total=len(partnerships),
    )
