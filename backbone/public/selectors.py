"""What anyone may see of a public initiative: its public indicators, approved figures only,
small numbers hidden.

Every public page and download reads its figures through :func:`public_table`, so a page, its
chart and its CSV always show the same figures. The figures are what an anonymous visitor may
see, whoever is signed in: the public dashboard is the public's view, even for partners.

Small numbers are hidden with the one rule of ``measurement.publishing``
(``hidden_breakdowns``): for each period, the total and the groups of *every* dimension the
indicator is split by are suppressed together, so that no hidden figure can be worked out from
the total and the other groups of any dimension shown on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils.translation import gettext as _

from backbone.analytics.progress import Progress
from backbone.core.models import Initiative
from backbone.measurement.charts import rounded
from backbone.measurement.exports import visible_indicators
from backbone.measurement.models import (
    Breakdown,
    Dimension,
    Indicator,
    Narrative,
    Observation,
    ObservationStatus,
    Period,
    Place,
    Target,
)
from backbone.measurement.publishing import hidden_breakdowns
from backbone.measurement.selectors import SeriesPoint, progress_for, series, targets_for
from backbone.measurement.services import breakdown_key

ANONYMOUS = AnonymousUser()


def public_indicators(initiative: Initiative) -> list[Indicator]:
    """The indicators anyone may see (public ones of a public initiative), by code."""
    return visible_indicators(ANONYMOUS, initiative)


def home_place(initiative: Initiative) -> Place | None:
    """The place the public dashboard shows: the smallest place that contains every place with
    approved figures reported by partners (or, without partner reports, every place with approved
    figures) for a public indicator. ``None`` when nothing public has been approved yet."""
    approved = Observation.objects.filter(
        indicator__initiative=initiative,
        indicator__is_public=True,
        status=ObservationStatus.APPROVED,
    )
    place_ids = set(
        approved.filter(organization__isnull=False).values_list("place_id", flat=True).distinct()
    ) or set(approved.values_list("place_id", flat=True).distinct())
    if not place_ids:
        return None
    parent = dict(Place.objects.filter(initiative=initiative).values_list("pk", "parent_id"))

    def line(pk: int) -> list[int]:  # the place and those above it, topmost first
        chain: list[int] = []
        current: int | None = pk
        while current is not None and current not in chain:
            chain.append(current)
            current = parent.get(current)
        return chain[::-1]

    lines = [line(pk) for pk in sorted(place_ids)]
    common: int | None = None
    for step in zip(*lines, strict=False):
        if len(set(step)) != 1:
            break
        common = step[0]
    return Place.objects.get(pk=common) if common is not None else None


@dataclass(frozen=True)
class Group:
    """A column of an indicator's table: everyone (the total) or one group of one dimension."""

    key: str  # the breakdown key; "" is everyone
    name: str
    dimension: Dimension | None = None


@dataclass(frozen=True)
class Figure:
    """One figure as the public sees it: rounded as shown, or hidden."""

    value: Decimal | None  # None when hidden, or when there is no usable figure
    suppressed: bool


@dataclass(frozen=True)
class Row:
    period: Period
    figures: dict[str, Figure]  # by group key; a group without data is missing
    annotations: tuple[str, ...]
    segment: int  # points in different segments were measured differently


@dataclass(frozen=True)
class PublicTable:
    """An indicator's public figures at one place: one row per period, one column per group."""

    indicator: Indicator
    place: Place
    groups: list[Group]
    rows: list[Row]
    total_points: list[SeriesPoint]  # the total's series, hidden values emptied

    @property
    def dimensions(self) -> list[Dimension]:
        seen: list[Dimension] = []
        for group in self.groups:
            if group.dimension is not None and group.dimension not in seen:
                seen.append(group.dimension)
        return seen

    def groups_of(self, dimension: Dimension | None) -> list[Group]:
        """Everyone, then the groups of ``dimension`` (only everyone for ``None``)."""
        return [g for g in self.groups if g.dimension is None or g.dimension == dimension]

    @property
    def latest(self) -> Row | None:
        """The latest period that has a figure (shown or hidden) for everyone."""
        return next((r for r in reversed(self.rows) if "" in r.figures), None)

    @property
    def has_suppressed(self) -> bool:
        return any(f.suppressed for r in self.rows for f in r.figures.values())


def public_table(indicator: Indicator, place: Place) -> PublicTable:
    """The approved figures of ``indicator`` at ``place`` (rolled up from the places below it)
    for everyone and for each group of each of its dimensions, period by period, with small
    numbers hidden: per period all of them in one ``hidden_breakdowns`` call."""
    initiative = indicator.initiative
    groups = [Group("", _("Everyone"))]
    for dimension in indicator.dimensions.order_by("name").prefetch_related("members"):
        groups += [
            Group(breakdown_key({dimension.code: m.code}), m.name, dimension)
            for m in dimension.members.all()
        ]
    breakdowns = {
        b.key: b
        for b in Breakdown.objects.filter(initiative=initiative, key__in=[g.key for g in groups])
    }
    runs = {
        key: {p.period.pk: p for p in series(indicator, place, b)} for key, b in breakdowns.items()
    }
    periods = {p.period.pk: p.period for run in runs.values() for p in run.values()}
    rows: list[Row] = []
    total_points: list[SeriesPoint] = []
    for period in sorted(periods.values(), key=lambda p: (p.start, p.end)):
        here = {key: run[period.pk] for key, run in runs.items() if period.pk in run}
        hidden = hidden_breakdowns(
            indicator,
            {k: (p.aggregate.value, p.aggregate.denominator) for k, p in here.items()},
            initiative.suppression_threshold,
        )
        figures = {
            key: Figure(
                None if key in hidden else rounded(point.aggregate.value, indicator.decimals),
                key in hidden,
            )
            for key, point in here.items()
        }
        first = next(iter(here.values()))
        rows.append(Row(period, figures, first.annotations, first.segment))
        if "" in here:
            total = here[""]
            if "" in hidden:
                total = replace(total, aggregate=replace(total.aggregate, value=None))
            total_points.append(total)
    return PublicTable(indicator, place, groups, rows, total_points)


def public_progress(table: PublicTable) -> Progress | None:
    """Change from the baseline to the latest public figure for everyone (hidden figures are
    gaps), with the initiative's needle rule; ``None`` without any figure for everyone."""
    total = Breakdown.objects.filter(initiative=table.indicator.initiative, key="").first()
    if total is None or not table.total_points:
        return None
    return progress_for(table.indicator, table.place, total, points=table.total_points)


def public_targets(indicator: Indicator, place: Place) -> list[Target]:
    """The targets for everyone at ``place`` (its own wins over one for the whole geography)."""
    total = Breakdown.objects.filter(initiative=indicator.initiative, key="").first()
    return targets_for(indicator, place, [total]) if total else []


def public_narratives(indicator: Indicator, place: Place) -> list[Narrative]:
    """The stories behind the curve for ``place`` or for the whole geography, newest first."""
    return list(
        Narrative.objects.filter(indicator=indicator)
        .filter(Q(place=place) | Q(place=None))
        .select_related("period")
        .order_by("-updated_at")
    )


CSV_COLUMNS = (
    "indicator",
    "indicator_name",
    "place",
    "place_name",
    "period",
    "dimension",
    "group",
    "group_name",
    "value",
    "unit",
    "suppressed",
    "annotations",
)


def public_rows(table: PublicTable) -> list[dict[str, object]]:
    """The table as download rows (:data:`CSV_COLUMNS`), period by period, everyone first: the
    same figures as the page, rounded as shown; a hidden figure is empty and ``suppressed``."""
    rows: list[dict[str, object]] = []
    for row in table.rows:
        for group in table.groups:
            figure = row.figures.get(group.key)
            if figure is None:
                continue
            member = group.key.split(":", 1)[1] if group.dimension is not None else ""
            rows.append(
                {
                    "indicator": table.indicator.code,
                    "indicator_name": table.indicator.name,
                    "place": table.place.code,
                    "place_name": table.place.name,
                    "period": row.period.code,
                    "dimension": group.dimension.code if group.dimension is not None else "",
                    "group": member,
                    "group_name": group.name,
                    "value": None if figure.suppressed else figure.value,
                    "unit": table.indicator.unit,
                    "suppressed": figure.suppressed,
                    "annotations": row.annotations,
                }
            )
    return rows
