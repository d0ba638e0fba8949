"""Learning from the figures: signal or noise, turning the curve, equity gaps and peers.

The database reads that feed the pure functions of ``backbone.analytics`` (``spc``,
``forecast``, ``equity``, ``comparison``). Series come from ``publishing.published_series`` —
approved figures only, small numbers hidden from people who do not take part — so an analysis
never shows or uses a number the results page would hide: a hidden figure is a gap, never
inferred. Peer figures (``peer_values``) are each organization's own approved totals, for the
people who take part, who see every figure.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from backbone.analytics import aggregate, comparison, equity, forecast, spc
from backbone.core import permissions
from backbone.core.models import Organization
from backbone.core.permissions import AnyUser
from backbone.measurement.charts import format_number
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
from backbone.measurement.publishing import PublishedPoint, published_series
from backbone.measurement.selectors import targets_for

# --- Series as the analyses take them -----------------------------------------------------


def decimal_year(day: dt.date) -> float:
    """2019-07-02 → 2019.5: a period's place on a time axis in years."""
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


def total_points(
    user: AnyUser, indicator: Indicator, place: Place, periods: Iterable[Period] | None = None
) -> list[PublishedPoint]:
    """The indicator's total at ``place`` as ``user`` may see it, in time order; only the given
    periods when ``periods`` is not ``None``."""
    wanted = None if periods is None else {p.pk for p in periods}
    return [
        shown
        for shown in published_series(user, indicator, place)
        if wanted is None or shown.period.pk in wanted
    ]


def _value(shown: PublishedPoint) -> Decimal | None:
    return None if shown.suppressed else shown.point.aggregate.value


def value_suffix(indicator: Indicator) -> str:
    """What follows a figure of ``indicator`` in words: "%" for a percent, " per 1,000" for a
    rate (the same as ``charts.format_value``)."""
    if indicator.unit == Unit.PERCENT:
        return "%"
    if indicator.unit == Unit.RATE:
        return " " + _("per %(base)s") % {"base": format_number(indicator.rate_base)}
    return ""


def difference_suffix(indicator: Indicator) -> str:
    """What follows a difference between two figures of ``indicator``: percentage points for
    percents."""
    if indicator.unit == Unit.PERCENT:
        return " " + _("percentage points")
    return value_suffix(indicator)


def is_proportion(indicator: Indicator) -> bool:
    """Percents made of numerators and denominators (a part of a whole): p-charts apply."""
    return indicator.aggregation == Aggregation.RATIO and indicator.unit == Unit.PERCENT


# --- Signal or noise -------------------------------------------------------------------------


def phase_starts(
    indicator: Indicator, points: Sequence[PublishedPoint], *, named: bool = False
) -> dict[str, str]:
    """The periods where control limits start again: the first period on or after each recorded
    process change (an improvement cycle that changed how the work is done), with the reason —
    naming the cycle only when ``named`` (the learning agenda is internal:
    ``permissions.may_see_learning``)."""
    from backbone.agenda.selectors import phase_changes  # agenda depends on measurement

    starts: dict[str, str] = {}
    for day, named_reason in phase_changes(indicator):
        reason = named_reason if named else _("a recorded change to how the work is done")
        first = next((p.period for p in points if p.period.start >= day), None)
        if first is not None and first.code not in starts and first != points[0].period:
            starts[first.code] = reason
    return starts


def control_chart(
    user: AnyUser, indicator: Indicator, points: Sequence[PublishedPoint]
) -> spc.ControlChart:
    """The signal-or-noise chart of a series: a p or p-prime chart for percents made of
    numerators and denominators, else XmR (or a run chart when the series is short). Points
    marked not comparable (an annotation that breaks comparability) are shown but left out of the
    limits and the rules; limits never cross a change of definition (the series segment)."""
    proportion = is_proportion(indicator)
    inputs = [
        spc.SpcPoint(
            label=p.period.code,
            value=_value(p),
            numerator=None if p.suppressed or not proportion else p.point.aggregate.numerator,
            denominator=None if p.suppressed or not proportion else p.point.aggregate.denominator,
            segment=p.point.segment,
            excluded=p.point.breaks_comparability,
        )
        for p in points
    ]
    lower = indicator.min_value
    if lower is None and indicator.unit in (Unit.COUNT, Unit.PERCENT, Unit.RATE):
        lower = Decimal(0)
    initiative = indicator.initiative
    named = permissions.may_see_learning(user, initiative)
    starts = phase_starts(indicator, points, named=named) if points else {}
    return spc.control_chart(
        inputs,
        settings=spc.SpcSettings(shift_length=initiative.shift_length),
        phase_starts=list(starts),
        phase_reasons=starts,
        rate_base=Decimal(indicator.rate_base) if proportion else 100,
        lower_bound=float(lower) if lower is not None and not proportion else None,
    )


# --- Turn the curve --------------------------------------------------------------------------


def baseline_forecast(
    indicator: Indicator, points: Sequence[PublishedPoint]
) -> forecast.Forecast | None:
    """The trend before the indicator's baseline period, projected forward beside the actual
    figures; ``None`` when the indicator has no baseline period among the points."""
    baseline = indicator.baseline_period
    if baseline is None or not any(p.period.pk == baseline.pk for p in points):
        return None
    return forecast.baseline_forecast(
        [(p.period.code, decimal_year(p.period.start), _value(p)) for p in points],
        baseline=baseline.code,
        direction=indicator.direction,
        segments=[p.point.segment for p in points],
        excluded=[p.period.code for p in points if p.point.breaks_comparability],
        decimals=indicator.decimals,
        unit_suffix=value_suffix(indicator),
        difference_suffix=difference_suffix(indicator),
    )


# --- Equity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSeries:
    """One group's figures over time, as shown on the equity page."""

    key: str
    label: str
    points: dict[str, PublishedPoint]  # by period code


@dataclass
class EquityView:
    dimension: Dimension
    periods: list[Period]
    total: dict[str, PublishedPoint]
    groups: list[GroupSeries]
    latest: Period | None
    table: equity.EquityTable | None
    trends: dict[str, equity.GapTrend]
    tracks: list[equity.Track]
    universal: str
    reference_chosen: str | None  # the member code chosen for this indicator, if any


def _group_value(shown: PublishedPoint | None, key: str, label: str) -> equity.GroupValue:
    if shown is None:
        return equity.GroupValue(key=key, label=label, value=None)
    agg = shown.point.aggregate
    return equity.GroupValue(
        key=key,
        label=label,
        value=None if shown.suppressed else agg.value,
        numerator=None if shown.suppressed else agg.numerator,
        denominator=None if shown.suppressed else agg.denominator,
        suppressed=shown.suppressed,
    )


def chosen_reference(indicator: Indicator, dimension: Dimension) -> str | None:
    """The breakdown key of the reference group chosen for ``indicator`` in ``dimension``."""
    member = indicator.reference_groups.filter(dimension=dimension).first()
    return f"{dimension.code}:{member.code}" if member is not None else None


def equity_view(
    user: AnyUser,
    indicator: Indicator,
    place: Place,
    dimension: Dimension,
    *,
    periods: Iterable[Period] | None = None,
    threshold: Decimal = Decimal(10),
) -> EquityView:
    """Each group of ``dimension`` beside a reference group, latest period first, the gaps' trend
    over the latest comparable stretch, and progress to the per-group targets."""
    wanted = None if periods is None else {p.pk for p in periods}
    names = dict(dimension.members.values_list("code", "name"))
    order = list(dimension.members.order_by("sort_order", "pk").values_list("code", flat=True))
    total: dict[str, PublishedPoint] = {}
    by_key: dict[str, dict[str, PublishedPoint]] = defaultdict(dict)
    seen: dict[int, Period] = {}
    for shown in published_series(user, indicator, place, dimension):
        if wanted is not None and shown.period.pk not in wanted:
            continue
        seen[shown.period.pk] = shown.period
        if shown.key:
            by_key[shown.key][shown.period.code] = shown
        else:
            total[shown.period.code] = shown
    groups = [
        GroupSeries(f"{dimension.code}:{code}", names[code], by_key[f"{dimension.code}:{code}"])
        for code in order
        if f"{dimension.code}:{code}" in by_key
    ]
    ordered = sorted(seen.values(), key=lambda p: (p.start, p.end))
    chosen = chosen_reference(indicator, dimension)
    view = EquityView(
        dimension=dimension,
        periods=ordered,
        total=total,
        groups=groups,
        latest=None,
        table=None,
        trends={},
        tracks=[],
        universal="",
        reference_chosen=chosen,
    )
    with_groups = [p for p in ordered if any(p.code in g.points for g in groups)]
    if not with_groups:
        return view
    view.latest = latest = with_groups[-1]

    def table_at(period: Period) -> equity.EquityTable:
        return equity.gaps(
            [_group_value(g.points.get(period.code), g.key, g.label) for g in groups],
            direction=indicator.direction,
            chosen_reference=chosen,
            rate_base=Decimal(indicator.rate_base),
            decimals=indicator.decimals,
            unit_suffix=difference_suffix(indicator),
        )

    view.table = table_at(latest)
    # The gap's trend: from the first period of the latest period's series segment (the same
    # definition), skipping periods marked not comparable, to the latest period.
    segment = _segment(groups, latest)
    stretch = [
        p
        for p in with_groups
        if _segment(groups, p) == segment and not _not_comparable(groups, total, p)
    ]
    reference = view.table.reference_key
    for group in groups:
        if group.key == reference:
            continue
        history = []
        for period in stretch:
            table = table_at(period)
            gap = next((g for g in table.gaps if g.key == group.key), None)
            if gap is not None and table.reference_key == reference:
                history.append((period.code, gap))
        view.trends[group.key] = equity.gap_trend(
            history,
            threshold=threshold,
            decimals=indicator.decimals,
            unit_suffix=difference_suffix(indicator),
        )
    view.tracks, view.universal = _tracks(indicator, place, groups, total, latest)
    return view


def _segment(groups: Sequence[GroupSeries], period: Period) -> int:
    return next((g.points[period.code].point.segment for g in groups if period.code in g.points), 0)


def _not_comparable(
    groups: Sequence[GroupSeries], total: dict[str, PublishedPoint], period: Period
) -> bool:
    shown = total.get(period.code) or next(
        (g.points[period.code] for g in groups if period.code in g.points), None
    )
    return bool(shown and shown.point.breaks_comparability)


def _tracks(
    indicator: Indicator,
    place: Place,
    groups: Sequence[GroupSeries],
    total: dict[str, PublishedPoint],
    latest: Period,
) -> tuple[list[equity.Track], str]:
    """Targeted universalism: one goal, a target per group. Each group (and the total) is on
    track when its latest figure is at least where a straight path from the baseline to its
    target would be by now."""
    keys = ["", *(g.key for g in groups)]
    breakdowns = Breakdown.objects.filter(initiative_id=indicator.initiative_id, key__in=keys)
    targets: dict[str, tuple[Period, Decimal]] = {}
    for target in targets_for(indicator, place, breakdowns):
        if target.period.start >= latest.start and target.breakdown.key not in targets:
            targets[target.breakdown.key] = (target.period, target.value)
    if not targets:
        return [], ""
    baseline = indicator.baseline_period
    series = {"": (_("Everyone"), total), **{g.key: (g.label, g.points) for g in groups}}
    tracks: list[equity.Track] = []
    for key, (label, points) in series.items():
        target = targets.get(key)
        base_point = points.get(baseline.code) if baseline else None
        if base_point is None and points:
            base_point = next(iter(points.values()))
        now = points.get(latest.code)
        tracks.append(
            equity.track(
                key=key,
                label=label,
                baseline=_value(base_point) if base_point else None,
                baseline_at=decimal_year(base_point.period.start) if base_point else 0.0,
                latest=_value(now) if now else None,
                latest_at=decimal_year(latest.start),
                target=target[1] if target else None,
                target_at=decimal_year(target[0].start) if target else 0.0,
                direction=indicator.direction,
                suppressed=bool(now and now.suppressed),
                decimals=indicator.decimals,
                unit_suffix=value_suffix(indicator),
            )
        )
    return tracks, equity.universal_summary(tracks[0], tracks[1:])


# --- Peers -----------------------------------------------------------------------------------


@dataclass
class PeersView:
    summaries: list[comparison.PeerSummary]
    named_all: bool
    viewer: frozenset[int]


def peer_values(indicator: Indicator) -> dict[int, list[tuple[int, Decimal | None]]]:
    """Each reporting organization's own figure per period (id → [(organization, value)]):
    approved totals, combined across the places it reports for by the indicator's rule (a ratio
    from its summed numerators and denominators)."""
    reports: dict[tuple[int, int], list[aggregate.Report]] = defaultdict(list)
    for period_id, org_id, value, numerator, denominator in Observation.objects.filter(
        indicator=indicator,
        breakdown__key="",
        status=ObservationStatus.APPROVED,
        organization__isnull=False,
    ).values_list("period_id", "organization_id", "value", "numerator", "denominator"):
        reports[(period_id, org_id)].append(aggregate.Report(value, numerator, denominator))
    rule, base = aggregate.Rule(indicator.aggregation), Decimal(indicator.rate_base)
    out: dict[int, list[tuple[int, Decimal | None]]] = defaultdict(list)
    for (period_id, org_id), found in reports.items():
        out[period_id].append((org_id, aggregate.across(found, rule, rate_base=base).value))
    return out


def _shuffle(initiative, organization_id: int) -> str:
    """A stable order of partners that reveals nothing: by a keyed hash of the organization,
    so "Partner A" is not the oldest partner or the first CoC number (and the same in every
    period and on every page)."""
    message = f"peers:{initiative.pk}:{organization_id}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def peer_letters(initiative, organization_ids: Iterable[int]) -> dict[int, str]:
    """Each organization's anonymous letter ("Partner A"…) in ``initiative``'s comparisons."""
    ordered = sorted(organization_ids, key=lambda org: _shuffle(initiative, org))
    return comparison.anonymous_labels(ordered)


def peers_view(user: AnyUser, indicator: Indicator) -> PeersView:
    """Each partner against the peer median and spread, period by period. A partner sees its own
    organization named and the others as "Partner A", "Partner B"… (the same letter in every
    period) unless the initiative chose open comparison; the backbone, who reviews every figure,
    sees every name."""
    initiative = indicator.initiative
    named_all = permissions.may_see_peer_names(user, initiative)
    viewer = permissions.own_organization_ids(user, initiative)
    by_period = peer_values(indicator)
    periods = Period.objects.in_bulk(list(by_period))
    orgs = sorted({org for values in by_period.values() for org, _v in values})
    names = dict(Organization.objects.filter(pk__in=orgs).values_list("pk", "name"))
    ordered = sorted(by_period, key=lambda pk: (periods[pk].start, periods[pk].end))
    letters = peer_letters(initiative, orgs)
    summaries = comparison.over_time(
        [
            (
                periods[pk].code,
                [comparison.PeerValue(org, names[org], value) for org, value in by_period[pk]],
            )
            for pk in ordered
        ],
        direction=indicator.direction,
        viewer=viewer,
        open_comparison=named_all,
        labels=letters,
    )
    return PeersView(summaries=summaries, named_all=named_all, viewer=viewer)


def peers_method(user: AnyUser, indicator: Indicator) -> str:
    """How the peer comparison is worked out, and who is named, in words for this reader.
    People who take part see every figure, so nothing is hidden as a small number here."""
    initiative = indicator.initiative
    return comparison.method(
        indicator.direction,
        open_comparison=initiative.open_comparison,
        reviewer=permissions.may_see_peer_names(user, initiative),
        hides_small=False,
    )
