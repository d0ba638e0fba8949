"""Reads of measurement data: series rolled up the place hierarchy, with their annotations."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Q

from backbone.analytics.aggregate import Aggregate, Report, Rule, roll_up
from backbone.analytics.progress import ChangeBasis, NeedleRule, Progress, progress
from backbone.core.models import Initiative
from backbone.measurement.models import (
    Annotation,
    Breakdown,
    Indicator,
    Level,
    Observation,
    ObservationStatus,
    Period,
    Place,
    Target,
)


@dataclass(frozen=True)
class SeriesPoint:
    period: Period
    aggregate: Aggregate
    annotations: tuple[str, ...]
    # Points in different segments were measured differently (a series break, e.g. a changed
    # definition): charts do not join them with a line, and changes are not computed across.
    segment: int = 0
    breaks_comparability: bool = False


def _subtree(place: Place) -> tuple[set[int], dict[int, list[int]]]:
    """Ids of ``place`` and all places below it, and each one's children."""
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent in Place.objects.filter(initiative_id=place.initiative_id).values_list(
        "pk", "parent_id"
    ):
        if parent is not None:
            children[parent].append(pk)
    ids, stack = set(), [place.pk]
    while stack:
        current = stack.pop()
        ids.add(current)
        stack.extend(children[current])
    return ids, children


def series(
    indicator: Indicator,
    place: Place,
    breakdown: Breakdown,
    *,
    statuses: tuple[str, ...] = (ObservationStatus.APPROVED,),
) -> list[SeriesPoint]:
    """The indicator for ``place`` and ``breakdown`` in every period that has data, in time order.

    Values reported by several partners, or for places below ``place``, are combined with the
    indicator's rule (``analytics.aggregate``). Only approved values count unless told otherwise.
    Each point carries the annotations on its period for this place, a place below it, or for
    all places.
    """
    ids, children = _subtree(place)
    rows = Observation.objects.filter(
        indicator=indicator, breakdown=breakdown, place_id__in=ids, status__in=statuses
    ).values_list("period_id", "place_id", "value", "numerator", "denominator")
    by_period: dict[int, dict[int, list[Report]]] = defaultdict(lambda: defaultdict(list))
    for period_id, place_id, value, numerator, denominator in rows:
        by_period[period_id][place_id].append(Report(value, numerator, denominator))
    rule, base = Rule(indicator.aggregation), Decimal(indicator.rate_base)
    notes: dict[int, list[str]] = defaultdict(list)
    not_comparable: set[int] = set()
    for period_id, place_id, text, breaks in Annotation.objects.filter(
        indicator=indicator
    ).values_list("period_id", "place_id", "text", "breaks_comparability"):
        if (place_id is None or place_id in ids) and text not in notes[period_id]:
            notes[period_id].append(text)
            if breaks:
                not_comparable.add(period_id)
    break_starts = list(indicator.revisions.values_list("effective_period__start", flat=True))
    periods = Period.objects.in_bulk(list(by_period))
    points = [
        SeriesPoint(
            period=periods[period_id],
            aggregate=roll_up(place.pk, reports, lambda p: children[p], rule, rate_base=base),
            annotations=tuple(notes[period_id]),
            segment=len({b for b in break_starts if b <= periods[period_id].start}),
            breaks_comparability=period_id in not_comparable,
        )
        for period_id, reports in by_period.items()
    ]
    return sorted(points, key=lambda p: (p.period.start, p.period.end))


def needle_rule(initiative: Initiative) -> NeedleRule:
    """The initiative's stored rule for "moving the needle"."""
    return NeedleRule(
        threshold=Decimal(initiative.needle_threshold), basis=ChangeBasis(initiative.needle_basis)
    )


def progress_for(
    indicator: Indicator,
    place: Place,
    breakdown: Breakdown,
    points: list[SeriesPoint] | None = None,
) -> Progress:
    """Baseline, latest, change, progress to target and the needle-moving flag for one series,
    with the initiative's rule, the indicator's baseline period, target and series breaks."""
    points = series(indicator, place, breakdown) if points is None else points
    target = (
        Target.objects.filter(indicator=indicator, breakdown=breakdown)
        .filter(Q(place=place) | Q(place=None))
        .order_by("-period__start", F("place").asc(nulls_last=True))
        .values_list("value", flat=True)
        .first()
    )
    breaks = set(indicator.revisions.values_list("effective_period__code", flat=True))
    return progress(
        [(p.period.code, p.aggregate.value) for p in points],
        direction=indicator.direction,
        is_population=indicator.level == Level.POPULATION,
        rule=needle_rule(indicator.initiative),
        baseline_period=indicator.baseline_period.code if indicator.baseline_period else None,
        target=target,
        breaks=breaks,
    )
