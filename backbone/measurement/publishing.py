"""What people who do not take part may see of the figures: small numbers hidden.

One rule for every public output — pages, exports, the API (``analytics.suppression``): a
figure based on fewer people than the initiative's threshold is hidden (primary), and more figures
of the same total = Σ groups equation are hidden where the hidden one could otherwise be worked
out by subtraction (complementary). The people a figure is based on: a count's value, a ratio's
denominator; other units (currency, scores) have no people-count and are hidden only as
complements.

Known limit: complements are chosen within one place's table (a total and its groups). A hidden
figure of one place can still be recovered from its parent place's total minus its siblings when
all of them are published; hiding across the place hierarchy is future work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from backbone.analytics.suppression import Cell, Group, primary, suppress_table
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser, can
from backbone.measurement.models import (
    Aggregation,
    Breakdown,
    Dimension,
    Indicator,
    Observation,
    ObservationStatus,
    Period,
    Place,
    Unit,
)
from backbone.measurement.selectors import SeriesPoint, series
from backbone.measurement.services import breakdown_key


def suppresses_for(user: AnyUser, initiative: Initiative) -> bool:
    """Small numbers are hidden from everyone who does not take part (``VIEW_PRIVATE``)."""
    return not can(user, Action.VIEW_PRIVATE, initiative)


def people(
    indicator: Indicator, value: Decimal | None, denominator: Decimal | None
) -> Decimal | None:
    """How many people a figure is based on, or ``None`` when its unit does not say."""
    if indicator.aggregation == Aggregation.RATIO:
        return denominator
    if indicator.unit == Unit.COUNT:
        return value
    return None


def breakdown_members(key: str) -> dict[str, str]:
    """``"race:black|sex:f"`` → ``{"race": "black", "sex": "f"}``; ``""`` (the total) → ``{}``."""
    return dict(part.split(":", 1) for part in key.split("|") if ":" in part)  # type: ignore[misc]


def hidden_breakdowns(
    indicator: Indicator,
    figures: Mapping[str, tuple[Decimal | None, Decimal | None]],
    threshold: int,
) -> set[str]:
    """The breakdown keys to hide among the figures of one indicator × place × period
    (× organization), given as ``{breakdown key: (value, denominator)}``.

    Every figure published with its groups forms an equation — the total with each dimension's
    groups, a group with its cross-groups — and all are suppressed together in one
    ``suppress_table`` call, so that no hidden figure can be worked out within the table.
    """
    cells = [Cell(key, v, people(indicator, v, d)) for key, (v, d) in figures.items()]
    members = {key: frozenset(breakdown_members(key).items()) for key in figures}
    groups: list[Group] = []
    for key, mine in sorted(members.items()):
        parts: dict[str, list[str]] = defaultdict(list)
        for other, theirs in members.items():
            if len(theirs) == len(mine) + 1 and mine < theirs:
                ((dimension, _member),) = theirs - mine
                parts[dimension].append(other)
        groups += [(key, sorted(keys)) for _dimension, keys in sorted(parts.items())]
    if not groups:
        return {str(key) for key in primary(cells, threshold)}
    return {str(key) for key in suppress_table(cells, groups, threshold)}


def hidden_observations(page: Iterable[Observation], initiative: Initiative) -> set[int]:
    """Ids of the observations on ``page`` to hide from people who do not take part.

    Each is judged with all approved figures that share its indicator, place, period and
    organization (its total and groups), whether or not they are on the same page.
    """
    page = list(page)
    keys = {(o.indicator_id, o.place_id, o.period_id, o.organization_id) for o in page}
    if not keys:
        return set()
    indicators = {o.indicator_id: o.indicator for o in page}
    rows = Observation.objects.filter(
        indicator_id__in={k[0] for k in keys},
        place_id__in={k[1] for k in keys},
        period_id__in={k[2] for k in keys},
        status=ObservationStatus.APPROVED,
    ).values_list(
        "pk",
        "indicator_id",
        "place_id",
        "period_id",
        "organization_id",
        "breakdown__key",
        "value",
        "denominator",
    )
    groups: dict[tuple, dict[str, tuple[int, Decimal | None, Decimal | None]]] = defaultdict(dict)
    for pk, indicator_id, place_id, period_id, org_id, key, value, denominator in rows:
        group = (indicator_id, place_id, period_id, org_id)
        if group in keys:
            groups[group][key] = (pk, value, denominator)
    hidden: set[int] = set()
    for group, figures in groups.items():
        secret = hidden_breakdowns(
            indicators[group[0]],
            {key: (value, den) for key, (_pk, value, den) in figures.items()},
            initiative.suppression_threshold,
        )
        hidden.update(figures[key][0] for key in secret)
    return hidden


@dataclass(frozen=True)
class PublishedPoint:
    """One point of a series as a given person may see it."""

    period: Period
    key: str  # the breakdown key; "" is the total
    members: dict[str, str]  # {dimension code: member code}
    point: SeriesPoint
    suppressed: bool


def published_series(
    user: AnyUser,
    indicator: Indicator,
    place: Place,
    by: Dimension | None = None,
) -> Iterator[PublishedPoint]:
    """The approved series of ``indicator`` at ``place`` (rolled up from the places below it):
    the total, then each group of ``by`` (if the indicator is split by it), period by period in
    time order. For people who do not take part, each period's total and groups are suppressed
    together (``hidden_breakdowns``)."""
    initiative = indicator.initiative
    wanted: list[tuple[str, dict[str, str]]] = [("", {})]
    if by is not None and indicator.dimensions.filter(pk=by.pk).exists():
        wanted += [(breakdown_key({by.code: m.code}), {by.code: m.code}) for m in by.members.all()]
    breakdowns = {
        b.key: b
        for b in Breakdown.objects.filter(initiative=initiative, key__in=[k for k, _m in wanted])
    }
    runs: dict[str, dict[int, SeriesPoint]] = {
        key: {p.period.pk: p for p in series(indicator, place, breakdowns[key])}
        for key, _m in wanted
        if key in breakdowns
    }
    periods = {p.period.pk: p.period for run in runs.values() for p in run.values()}
    hide = suppresses_for(user, initiative)
    for period in sorted(periods.values(), key=lambda p: (p.start, p.end)):
        here = {key: runs[key][period.pk] for key in runs if period.pk in runs[key]}
        hidden: set[str] = set()
        if hide:
            figures = {k: (p.aggregate.value, p.aggregate.denominator) for k, p in here.items()}
            hidden = hidden_breakdowns(indicator, figures, initiative.suppression_threshold)
        for key, members in wanted:
            if key in here:
                yield PublishedPoint(period, key, members, here[key], key in hidden)
