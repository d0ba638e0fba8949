"""Reads of measurement data: series rolled up the place hierarchy, with their annotations."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Max, Q

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
    # Notes for all places first, then place notes, in the order written: the same on every
    # database (the chart labels a period with its first note).
    for period_id, place_id, text, breaks in (
        Annotation.objects.filter(indicator=indicator)
        .order_by(F("place_id").asc(nulls_first=True), "pk")
        .values_list("period_id", "place_id", "text", "breaks_comparability")
    ):
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
    # A definition change between the baseline and the latest value must be seen even when the
    # period it starts at has no figure here (filtered out, hidden, or not reported): progress()
    # places breaks by position, so each break period goes in, in time order, without a value.
    pairs = [(p.period.start, p.period.code, p.aggregate.value) for p in points]
    shown = {code for _start, code, _value in pairs}
    breaks = set()
    for start, code in indicator.revisions.values_list(
        "effective_period__start", "effective_period__code"
    ):
        breaks.add(code)
        if code not in shown:
            pairs.append((start, code, None))
    pairs.sort(key=lambda pair: pair[0])
    return progress(
        [(code, value) for _start, code, value in pairs],
        direction=indicator.direction,
        is_population=indicator.level == Level.POPULATION,
        rule=needle_rule(indicator.initiative),
        baseline_period=indicator.baseline_period.code if indicator.baseline_period else None,
        target=target,
        breaks=breaks,
    )


# --- Reads for the results pages (dashboard, indicator page) --------------------------------


@dataclass(frozen=True)
class Freshness:
    """How current an indicator's figures are at a place: when a figure there was last changed,
    and when a partner's report holding some of them was last approved (``None``: no report,
    e.g. figures loaded from a public source)."""

    last_updated: datetime.datetime | None
    last_approved: datetime.datetime | None


def _ancestors(initiative_id: int) -> dict[int, int | None]:
    return dict(Place.objects.filter(initiative_id=initiative_id).values_list("pk", "parent_id"))


def _line(pk: int, parents: dict[int, int | None]) -> list[int]:
    """``pk`` and the places above it, from the top down."""
    line: list[int] = []
    current: int | None = pk
    while current is not None and current not in line:
        line.append(current)
        current = parents.get(current)
    return line[::-1]


def default_place(indicator: Indicator) -> Place | None:
    """Where the indicator is shown when nobody picked a place: the place its targets are set
    for (the initiative's own geography), else the smallest place that holds all of its approved
    figures (for figures from many states, the nation; for one state's regions, the state)."""
    target_place = (
        Target.objects.filter(indicator=indicator, place__isnull=False)
        .order_by("-period__start")
        .values_list("place_id", flat=True)
        .first()
    )
    if target_place is not None:
        return Place.objects.get(pk=target_place)
    ids = list(
        Observation.objects.filter(indicator=indicator, status=ObservationStatus.APPROVED)
        .values_list("place_id", flat=True)
        .distinct()
    )
    if not ids:
        return None
    parents = _ancestors(indicator.initiative_id)
    lines = [_line(pk, parents) for pk in ids]
    common = None
    for depth in range(min(len(line) for line in lines)):
        step = {line[depth] for line in lines}
        if len(step) != 1:
            break
        common = step.pop()
    return Place.objects.get(pk=common) if common is not None else None


def place_tree(initiative: Initiative, indicators: Iterable[Indicator]) -> list[tuple[Place, int]]:
    """The places that hold approved figures of ``indicators`` and every place above them, as
    ``(place, depth)`` in tree order (a place, then the places below it, by code)."""
    parents = _ancestors(initiative.pk)
    with_data = set(
        Observation.objects.filter(
            indicator__in=list(indicators), status=ObservationStatus.APPROVED
        )
        .values_list("place_id", flat=True)
        .distinct()
    )
    wanted = {pk for place_id in with_data for pk in _line(place_id, parents)}
    places = Place.objects.in_bulk(list(wanted))
    children: dict[int | None, list[Place]] = defaultdict(list)
    for place in places.values():
        parent = place.parent_id if place.parent_id in wanted else None
        children[parent].append(place)
    out: list[tuple[Place, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for place in sorted(children[parent], key=lambda p: p.code):
            out.append((place, depth))
            walk(place.pk, depth + 1)

    walk(None, 0)
    return out


def periods_with_data(indicators: Iterable[Indicator]) -> list[Period]:
    """The periods that hold approved figures of any of ``indicators``, in time order."""
    return list(
        Period.objects.filter(
            observations__indicator__in=list(indicators),
            observations__status=ObservationStatus.APPROVED,
        )
        .distinct()
        .order_by("start", "end")
    )


def targets_for(
    indicator: Indicator, place: Place, breakdowns: Iterable[Breakdown]
) -> list[Target]:
    """The targets of ``breakdowns`` that apply at ``place``: set for the place itself or for the
    whole geography (the place's own wins for the same breakdown and period), by period."""
    found: dict[tuple[int, int], Target] = {}
    for target in (
        Target.objects.filter(indicator=indicator, breakdown__in=list(breakdowns))
        .filter(Q(place=place) | Q(place=None))
        .select_related("period", "breakdown")
        .order_by("period__start", F("place").asc(nulls_first=True))
    ):
        found[(target.breakdown_id, target.period_id)] = target
    return sorted(found.values(), key=lambda t: (t.period.start, t.breakdown.key))


def freshness(indicator: Indicator, place: Place) -> Freshness:
    """When the approved figures of ``indicator`` at ``place`` (and below) last changed and were
    last approved."""
    ids, _children = _subtree(place)
    approved = Observation.objects.filter(
        indicator=indicator, place_id__in=ids, status=ObservationStatus.APPROVED
    )
    found = approved.aggregate(updated=Max("updated_at"), approved=Max("submission__decided_at"))
    return Freshness(last_updated=found["updated"], last_approved=found["approved"])
