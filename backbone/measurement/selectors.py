"""Reads of measurement data: series rolled up the place hierarchy, with their annotations."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast

from backbone.analytics.aggregate import EMPTY, Aggregate, Report, Rule, across
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
    return series_by_group(indicator, place, [breakdown], statuses=statuses)[breakdown.pk]


def series_by_group(
    indicator: Indicator,
    place: Place,
    breakdowns: Iterable[Breakdown],
    *,
    statuses: tuple[str, ...] = (ObservationStatus.APPROVED,),
) -> dict[int, list[SeriesPoint]]:
    """``series`` for several breakdowns at once (the total and each group of a dimension), by
    breakdown id: the same points as calling ``series`` for each, from one pass over the figures.

    Every breakdown asked for is in the answer, with no points if it has no data.
    """
    wanted = list(dict.fromkeys(b.pk for b in breakdowns))
    out: dict[int, list[SeriesPoint]] = {pk: [] for pk in wanted}
    if not wanted:
        return out
    ids, children = _subtree(place)
    figures = _rolled_up(indicator, place.pk, ids, children, wanted, statuses)
    if not figures:
        return out
    notes, not_comparable = _notes(indicator, ids)
    break_starts = list(indicator.revisions.values_list("effective_period__start", flat=True))
    periods = Period.objects.in_bulk({period_id for period_id, _breakdown in figures})
    for (period_id, breakdown_id), aggregate in figures.items():
        period = periods[period_id]
        out[breakdown_id].append(
            SeriesPoint(
                period=period,
                aggregate=aggregate,
                annotations=tuple(notes[period_id]),
                segment=len({b for b in break_starts if b <= period.start}),
                breaks_comparability=period_id in not_comparable,
            )
        )
    for points in out.values():
        points.sort(key=lambda p: (p.period.start, p.period.end, p.period.pk))
    return out


def _notes(indicator: Indicator, ids: set[int]) -> tuple[dict[int, list[str]], set[int]]:
    """The annotation texts on each period for all places or one of ``ids``, and the periods
    where one of them breaks comparability."""
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
    return notes, not_comparable


# --- The roll-up, added up by the database ---------------------------------------------------
#
# ``analytics.aggregate.roll_up`` on every partner's row gives, per period: the place's own
# figures if it has any, otherwise its children's, recursively. Decimal sums are exact, so
# adding up the usable figures of places none of which is above another in SQL, and combining
# those sums once, gives the same value, numerator and denominator as combining them row by row
# and place by place. So:
#
# 1. One small query (an index probe per place that has places below it, not a read of the
#    figures) finds the places above others that hold figures themselves ("holding").
# 2. One grouped query adds up the figures by period, breakdown and group: each holding place
#    on its own, every other place with those under the same nearest holding place (or under
#    none). Usually nobody above the places reporting holds figures: one group, no grouping.
# 3. Here, per period and breakdown: a holding place's own figure wins; otherwise the groups
#    under it are combined, as ``roll_up`` would (a handful of groups, not every row).
#
# One thing needs one more query, only when it occurs: rows that cannot be used (no value; for
# a ratio, no numerator or denominator) at a place without a usable row. ``roll_up`` leaves such
# a place out, excluded rows and all, so the excluded count of its group is corrected.


@dataclass(frozen=True)
class _Sums:
    """A group of observation rows as the database adds it up: the sums of the usable figures,
    how many rows are usable and how many there are."""

    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    usable: int
    rows: int

    def aggregate(self, rule: Rule, base: Decimal, *, dropped: int = 0) -> Aggregate:
        """What ``across`` gives for these rows: usable ones are reports, the others excluded
        (but for ``dropped`` ones, of places that ``roll_up`` leaves out)."""
        if not self.usable:
            return Aggregate(None, None, None, 0, excluded=self.rows)
        report = Report(self.value, self.numerator, self.denominator)
        combined = across([report], rule, rate_base=base)
        return Aggregate(
            combined.value,
            combined.numerator,
            combined.denominator,
            reports=self.usable,
            excluded=self.rows - self.usable - dropped,
        )


# SQLite keeps 15 significant digits of a decimal (a REAL), and Django reads them back rounded to
# 15 digits and then to the field's decimal places. Its SUM of REALs is a float sum, not exact.
_SQLITE_DIGITS = 15


class _Millionths(Func):
    """(SQLite) The part of a decimal column after the point as an integer count of its smallest
    unit (millionths for 6 decimal places), rounded as Django reads the column: to 15 significant
    digits. With the whole units (``CAST … AS INTEGER``) the integer sums are exact. A whole
    number is stored as an INTEGER: its part is 0, without the rounding (most figures are
    counts)."""

    output_field = IntegerField()

    def __init__(self, column: str, places: int) -> None:
        col = "%(expressions)s"
        kept = " ".join(
            f"WHEN ABS({col}) < 1e{_SQLITE_DIGITS - p} THEN {p}" for p in range(places, 0, -1)
        )
        template = (
            f"CASE WHEN typeof({col}) = 'integer' THEN 0 ELSE"
            f" CAST(ROUND(ROUND({col} - CAST({col} AS INTEGER), CASE {kept} ELSE 0 END)"
            f" * {10**places}) AS INTEGER) END"
        )
        super().__init__(F(column), template=template)


class _Plain(Func):
    """A key column as a plain number (``column + 0``): the database does not pick an index by
    it."""

    template = "(%(expressions)s + 0)"
    output_field = BigIntegerField()


def _grouped(
    observations: QuerySet[Observation],
    keys: Sequence[str],
    rule: Rule,
    *,
    having: Q | None = None,
) -> Iterator[tuple[tuple[Any, ...], _Sums]]:
    """The rows of ``observations`` grouped by ``keys``, added up exactly, on every database."""
    if rule == Rule.RATIO:  # usable: with both a numerator and a denominator
        columns, usable = ("numerator", "denominator"), Q(numerator__isnull=False)
        usable &= Q(denominator__isnull=False)
    else:  # usable: with a value (SUM and COUNT of a column leave NULLs out)
        columns, usable = ("value",), None
    exact = connections[observations.db].vendor != "sqlite"
    places = Observation._meta.get_field("value").decimal_places
    totals: dict[str, Count | Sum] = {
        "rows": Count("*"),
        "usable": Count(columns[0], filter=usable),
    }
    for column in columns:
        if exact:  # PostgreSQL: numeric sums are exact
            totals[f"{column}_sum"] = Sum(column, filter=usable)
        else:
            totals[f"{column}_units"] = Sum(Cast(column, IntegerField()), filter=usable)
            totals[f"{column}_parts"] = Sum(_Millionths(column, places), filter=usable)
    query = observations.order_by().values(*keys).annotate(**totals)
    if having is not None:
        query = query.filter(having)
    for row in query:
        sums: dict[str, Decimal | None] = dict.fromkeys(("value", "numerator", "denominator"))
        for column in columns:
            if exact:
                sums[column] = row[f"{column}_sum"]
            elif row[f"{column}_units"] is not None:
                parts = Decimal(row[f"{column}_parts"]).scaleb(-places)
                sums[column] = Decimal(row[f"{column}_units"]) + parts
        yield (
            tuple(row[k] for k in keys),
            _Sums(**sums, usable=row["usable"], rows=row["rows"]),  # type: ignore[arg-type]
        )


def _holding(
    observations: QuerySet[Observation],
    root: int,
    ids: set[int],
    children: Mapping[int, list[int]],
) -> set[int]:
    """The places of ``root``'s subtree (``ids``) with places below them that hold some of
    ``observations`` (in any period): one index probe per such place, not a read of the
    figures. ``root`` alone holds its own."""
    internal = sorted(pk for pk in ids if children.get(pk))
    if not internal:
        return {root}
    return set(
        Place.objects.filter(pk__in=internal)
        .filter(Exists(observations.filter(place=OuterRef("pk"))))
        .order_by()
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class _Groups:
    """How a subtree's figures are added up: each place of ``holding`` on its own (its id);
    every other place with those that have the same nearest place of ``holding`` above them
    (minus that place's id), or that have none (``None``). No place in one group is above
    another, so a group's sums are what ``roll_up`` combines from it."""

    holding: set[int]
    group: dict[int, int | None]  # place → group
    below: dict[int | None, list[int]]  # place of ``holding`` (None: the top) → those under it

    @classmethod
    def of(cls, root: int, children: Mapping[int, list[int]], holding: set[int]) -> _Groups:
        group: dict[int, int | None] = {}
        below: dict[int | None, list[int]] = defaultdict(list)
        stack: list[tuple[int, int | None]] = [(root, None)]
        while stack:
            pk, above = stack.pop()
            if pk in holding:
                group[pk] = pk
                below[above].append(pk)
                above = pk
            else:
                group[pk] = None if above is None else -above
            stack.extend((child, above) for child in children.get(pk, ()))
        return cls(holding, group, below)

    def label(self) -> Case | None:
        """The group of an observation's place, in SQL (None: all are in one group)."""
        on_own = sorted(pk for pk, g in self.group.items() if g is not None and g > 0)
        together: dict[int | None, list[int]] = defaultdict(list)
        for pk, g in self.group.items():
            if g is None or g < 0:
                together[g].append(pk)
        if not on_own and set(together) == {None}:
            return None
        branches: list[tuple[list[int], F | Value]] = [(on_own, F("place_id"))] if on_own else []
        branches += [(pks, Value(g)) for g, pks in together.items()]
        branches.sort(key=lambda branch: len(branch[0]), reverse=True)
        return Case(  # the largest branch is the default
            *(When(place_id__in=sorted(pks), then=then) for pks, then in branches[1:]),
            default=branches[0][1],
            output_field=BigIntegerField(),
        )


def _combined(parts: Iterable[Aggregate], rule: Rule, base: Decimal) -> Aggregate:
    """``roll_up``'s figure for a place without figures of its own: the figures of the places
    below it that have reports, combined."""
    used = [p for p in parts if p.reports]
    if not used:
        return EMPTY
    combined = across([p.as_report() for p in used], rule, rate_base=base)
    return Aggregate(
        combined.value,
        combined.numerator,
        combined.denominator,
        reports=sum(p.reports for p in used),
        excluded=sum(p.excluded for p in used) + combined.excluded,
    )


def _rolled_up(
    indicator: Indicator,
    root: int,
    ids: set[int],
    children: Mapping[int, list[int]],
    breakdown_ids: list[int],
    statuses: tuple[str, ...],
) -> dict[tuple[int, int], Aggregate]:
    """The figure for ``root`` of each (period, breakdown) with rows among ``ids`` (``root``'s
    subtree): exactly what ``roll_up`` gives on the rows one by one."""
    rule, base = Rule(indicator.aggregation), Decimal(indicator.rate_base)
    wanted = Observation.objects.filter(indicator=indicator, status__in=statuses)
    # The probes go by (indicator, place): the breakdowns are checked on the rows found, not
    # used to pick an index (SQLite would otherwise scan the series index once per place).
    probe = wanted.alias(of=_Plain("breakdown_id")).filter(of__in=breakdown_ids)
    groups = _Groups.of(root, children, _holding(probe, root, ids, children))
    observations = wanted.filter(breakdown_id__in=breakdown_ids, place_id__in=sorted(ids))
    label = groups.label()
    keys = ["period_id", "breakdown_id"]
    grouped = observations
    if label is not None:
        grouped = observations.annotate(group=label)
        keys.append("group")
    sums: dict[tuple[int, int], dict[int | None, _Sums]] = defaultdict(dict)
    for found, added in _grouped(grouped, keys, rule):
        sums[(found[0], found[1])][found[2] if label is not None else None] = added
    # A place without a usable row drops out of the roll-up with its excluded rows: those of
    # places that are not on their own are found with one more query, only when there are any.
    partial = {
        key
        for key, by_group in sums.items()
        if any(0 < s.usable < s.rows for g, s in by_group.items() if g is None or g < 0)
    }
    dropped: dict[tuple[tuple[int, int], int | None], int] = defaultdict(int)
    if partial:
        for (period_id, breakdown_id, place_id), added in _grouped(
            _narrowed(observations, partial), [*keys[:2], "place_id"], rule, having=Q(usable=0)
        ):
            if (period_id, breakdown_id) in partial:
                dropped[((period_id, breakdown_id), groups.group[place_id])] += added.rows

    def figure(key: tuple[int, int], at: int | None) -> Aggregate:
        """The figure at a place of ``holding`` (None: above them all): its own figures if it
        has any, otherwise those of the places of ``holding`` below it and of the group of the
        other places below it, combined."""
        by_group = sums[key]
        if at is not None and at in by_group:
            return by_group[at].aggregate(rule, base)
        parts = [figure(key, pk) for pk in groups.below[at]]
        together = None if at is None else -at
        if together in by_group:
            parts.append(by_group[together].aggregate(rule, base, dropped=dropped[(key, together)]))
        return _combined(parts, rule, base)

    top = root if root in groups.holding else None
    return {key: figure(key, top) for key in sums}


def _narrowed(
    observations: QuerySet[Observation], keys: set[tuple[int, int]]
) -> QuerySet[Observation]:
    """``observations`` of the periods and breakdowns of ``keys`` (and perhaps a few more)."""
    return observations.filter(
        period_id__in={p for p, _b in keys}, breakdown_id__in={b for _p, b in keys}
    )


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
    # Which places hold approved figures: one index probe per place of the initiative, rather
    # than reading every figure of the indicator.
    approved = Observation.objects.filter(
        indicator=indicator, place=OuterRef("pk"), status=ObservationStatus.APPROVED
    )
    parents: dict[int, int | None] = {}
    ids: list[int] = []
    for pk, parent, holds in (
        Place.objects.filter(initiative_id=indicator.initiative_id)
        .annotate(holds=Exists(approved))
        .order_by()
        .values_list("pk", "parent_id", "holds")
    ):
        parents[pk] = parent
        if holds:
            ids.append(pk)
    if not ids:
        return None
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
