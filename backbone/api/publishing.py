"""What the API shows of figures to people who do not take part: small numbers hidden.

The rule is the public pages' (``analytics.suppression``): a figure based on fewer people than the
initiative's threshold is hidden (primary), and one more figure of the same total = Σ groups
equation is hidden when otherwise it could be worked out by subtraction (complementary). The
people a figure is based on: a count's value, a ratio's denominator; other units (currency,
scores) have no people-count and are hidden only as complements.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from backbone.analytics.suppression import Cell, Group, primary, suppress_group, suppress_table
from backbone.api.lookups import breakdown_members, number_text
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser, can
from backbone.measurement.models import (
    Aggregation,
    Breakdown,
    Dimension,
    Indicator,
    Observation,
    ObservationStatus,
    Place,
    Unit,
)
from backbone.measurement.selectors import SeriesPoint, series
from backbone.measurement.services import breakdown_key

SERIES_DECIMALS = 6


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


def hidden_breakdowns(
    indicator: Indicator,
    figures: Mapping[str, tuple[Decimal | None, Decimal | None]],
    threshold: int,
) -> set[str]:
    """The breakdown keys to hide among the figures of one indicator × place × period ×
    organization, given as ``{breakdown key: (value, denominator)}``.

    Every figure published with its groups forms an equation (the total with each dimension's
    groups; a group with its cross-groups), and all are suppressed together in one call.
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


def series_points(
    user: AnyUser,
    initiative: Initiative,
    indicator: Indicator,
    place: Place,
    by: Dimension | None,
) -> Iterator[dict[str, object]]:
    """The approved series of ``indicator`` at ``place`` (rolled up from the places below it):
    the total, then each group of ``by``, period by period in time order.

    For people who do not take part, each period's total and groups are suppressed together
    (``suppress_group``): hidden points keep their period and group, their figures are ``None``.
    """
    wanted: list[tuple[str, dict[str, str]]] = [("", {})]
    if by is not None:
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
    threshold = initiative.suppression_threshold
    for period in sorted(periods.values(), key=lambda p: (p.start, p.end)):
        here = {key: runs[key][period.pk] for key in runs if period.pk in runs[key]}
        hidden: set[str] = set()
        if hide:
            cells = {
                key: Cell(
                    key,
                    p.aggregate.value,
                    people(indicator, p.aggregate.value, p.aggregate.denominator),
                )
                for key, p in here.items()
            }
            parts = [cells[key] for key, _m in wanted[1:] if key in cells]
            if parts:
                hidden = {str(k) for k in suppress_group(cells.get(""), parts, threshold)}
            elif "" in cells:
                hidden = {str(k) for k in primary([cells[""]], threshold)}
        for key, members in wanted:
            if key not in here:
                continue
            point = here[key]
            secret = key in hidden
            aggregate = point.aggregate
            yield {
                "period": period.code,
                "period_start": period.start,
                "period_end": period.end,
                "breakdown": members,
                "value": None if secret else number_text(aggregate.value, SERIES_DECIMALS),
                "numerator": None if secret else number_text(aggregate.numerator, SERIES_DECIMALS),
                "denominator": None
                if secret
                else number_text(aggregate.denominator, SERIES_DECIMALS),
                "reports": aggregate.reports,
                "suppressed": secret,
                "annotations": list(point.annotations),
            }
