"""Learning from the figures: signal or noise, turning the curve, equity gaps and peers.

The same analyses as the indicator, equity and peers pages, built by the same functions
(``measurement.insights``) from the same published figures: approved ones only, small numbers
hidden from people who do not take part, so an analysis never shows or uses a figure the pages
hide. Who may see what is the pages' rule too: a private initiative or indicator is not found
unless you take part; the peer comparison is for the people who take part, with the other
partners named only as the page names them. Every operation only reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from backbone.analytics import comparison, equity
from backbone.api.auth import READ
from backbone.api.lookups import (
    breakdown_members,
    dimension_or_404,
    indicator_or_404,
    initiative_or_404,
    number_text,
    place_or_404,
)
from backbone.api.publishing import SERIES_DECIMALS
from backbone.api.schemas import (
    EquityOut,
    ForecastOut,
    Message,
    PeersOut,
    SignalsOut,
    ValidationMessage,
)
from backbone.core import permissions
from backbone.core.models import Initiative
from backbone.core.permissions import AnyUser
from backbone.measurement import insights, selectors
from backbone.measurement.models import Dimension, Indicator, Level, Period, Place
from backbone.measurement.periods import PeriodCodeError, parse_period
from backbone.measurement.publishing import PublishedPoint

router = Router(tags=["insights"], auth=READ)

ONE = "/initiatives/{slug}/indicators/{code}"
READS = {404: Message, 422: ValidationMessage}
Member = Callable[[object], "str | None"]  # a breakdown key → its member code


def figure(number: Decimal | float | None) -> str | None:
    """A figure or statistic as exact decimal text rounded to 6 places, like a series' values
    (a float by its shortest repr: ``20.045`` → ``"20.045"``); ``None`` (and a float that is not
    finite) stays ``None``."""
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        number = Decimal(repr(number))
    try:
        return number_text(number, SERIES_DECIMALS)
    except InvalidOperation:  # too many digits to round to 6 places: already a whole number
        return number_text(number)


class PlaceFilters(Schema):
    place: str | None = Field(
        None,
        description="A place code; by default where the indicator's targets are set, else "
        "the smallest place holding all its figures (as on its page).",
    )


class RangeFilters(PlaceFilters):
    start: str | None = Field(None, alias="from", description="The first period, e.g. 2019.")
    end: str | None = Field(None, alias="to", description="The last period, e.g. 2024.")


def _place(initiative: Initiative, indicator: Indicator, code: str | None) -> Place | None:
    """The place asked for, else the one the indicator's page shows (``None``: no figures)."""
    if code:
        return place_or_404(initiative, code)
    return selectors.default_place(indicator)


def _within(filters: RangeFilters) -> Callable[[Period], bool]:
    """Whether a period lies in the range asked for (by start dates, as on the pages)."""
    bounds = []
    for code in (filters.start, filters.end):
        if not code:
            bounds.append(None)
            continue
        try:
            bounds.append(parse_period(code).start)
        except PeriodCodeError as exc:
            raise HttpError(422, str(exc)) from exc
        except ValueError as exc:  # a well-formed code for a date that does not exist: 0000
            raise HttpError(
                422, _("“%(code)s” is not a period that can be shown.") % {"code": code}
            ) from exc
    first, last = bounds
    if first is not None and last is not None and first > last:
        raise HttpError(422, _("“from” must be the same period as “to” or before it."))
    return lambda period: (
        (first is None or period.start >= first) and (last is None or period.start <= last)
    )


def _total(
    user: AnyUser, indicator: Indicator, place: Place | None, within: Callable[[Period], bool]
) -> list[PublishedPoint]:
    if place is None:
        return []
    return [p for p in insights.total_points(user, indicator, place) if within(p.period)]


# --- Signal or noise -------------------------------------------------------------------------


def _signals(
    user: AnyUser, indicator: Indicator, place: Place | None, points: Sequence[PublishedPoint]
) -> dict[str, object]:
    chart = insights.control_chart(user, indicator, points)
    hidden = {p.period.code for p in points if p.suppressed}
    s = chart.settings
    return {
        "indicator": indicator.code,
        "place": place.code if place else None,
        "unit": indicator.unit,
        "kind": chart.kind,
        "method": chart.method(),
        "summary": chart.summary(),
        "settings": {
            "shift_length": s.shift_length,
            "trend_length": s.trend_length,
            "baseline_size": s.baseline_size,
            "min_points": s.min_points,
            "sigma": figure(s.sigma),
        },
        "phases": [
            {
                "index": phase.index,
                "kind": phase.kind,
                "first_period": str(phase.first_label),
                "last_period": str(phase.last_label),
                "started_by": phase.started_by,
                "baseline_periods": [str(label) for label in phase.baseline_labels],
                "centre": figure(phase.centre),
                "lower": figure(phase.lower),
                "upper": figure(phase.upper),
                "mr_bar": figure(phase.mr_bar),
                "mr_upper": figure(phase.mr_upper),
                "sigma_z": figure(phase.sigma_z),
                "useful": phase.useful,
                "longest_run": phase.longest_run,
                "longest_run_limit": phase.longest_run_limit,
                "crossings": phase.crossings,
                "crossings_limit": phase.crossings_limit,
            }
            for phase in chart.phases
        ],
        "points": [
            {
                "period": str(point.label),
                "value": figure(point.value),
                "suppressed": point.label in hidden,
                "centre": figure(point.centre),
                "lower": figure(point.lower),
                "upper": figure(point.upper),
                "moving_range": figure(point.moving_range),
                "phase": point.phase,
                "excluded": point.excluded,
                "in_baseline": point.in_baseline,
                "rules": list(point.rules),
            }
            for point in chart.points
        ],
        "signals": [
            {
                "rule": signal.rule,
                "periods": [str(label) for label in signal.labels],
                "direction": signal.direction,
                "phase": signal.phase,
                "description": signal.description,
            }
            for signal in chart.signals
        ],
    }


@router.get(f"{ONE}/signals", response={200: SignalsOut, **READS})
def indicator_signals(
    request: HttpRequest, slug: str, code: str, filters: Query[RangeFilters]
) -> dict[str, object]:
    """Signal or noise: is a change in the indicator's total at a place more than the usual ups
    and downs? A control chart (XmR for values; p or Laney p′ for percents made of numerators
    and denominators), or a run chart while a phase has fewer than ``min_points`` usable points.

    ``from`` and ``to`` keep a range of periods. Limits start again after a recorded change to
    how the work is done and never cross a change of the indicator's definition; figures marked
    not comparable are shown but left out. Hidden figures are gaps, never guessed.
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    indicator = indicator_or_404(user, initiative, code)
    place = _place(initiative, indicator, filters.place)
    points = _total(user, indicator, place, _within(filters))
    return _signals(user, indicator, place, points)


# --- Turn the curve --------------------------------------------------------------------------


@router.get(f"{ONE}/forecast", response={200: ForecastOut, **READS})
def indicator_forecast(
    request: HttpRequest, slug: str, code: str, filters: Query[PlaceFilters]
) -> dict[str, object]:
    """Turn the curve: the straight-line trend of the figures before the indicator's baseline
    period (least squares over time), projected forward beside the actual figures, with how far
    each figure from the baseline on is above or below it.

    422 when the indicator has no baseline period. ``available`` is false, with the ``reason``,
    when the trend cannot be drawn (too few earlier figures, say).
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    indicator = indicator_or_404(user, initiative, code)
    baseline = indicator.baseline_period
    if baseline is None:
        raise HttpError(
            422,
            _(
                "%(code)s has no baseline period, so there is no earlier trend to forecast from. "
                "The backbone team can set one on the indicator."
            )
            % {"code": indicator.code},
        )
    place = _place(initiative, indicator, filters.place)
    points = _total(user, indicator, place, lambda period: True)
    result = insights.baseline_forecast(indicator, points)
    body: dict[str, object] = {
        "indicator": indicator.code,
        "place": place.code if place else None,
        "baseline_period": baseline.code,
    }
    if result is None:  # no figure at all for the baseline period there
        if place is None:
            reason = _("%(code)s has no approved figures yet.") % {"code": indicator.code}
        else:
            reason = _("There is no figure for the baseline period %(baseline)s in %(place)s.") % {
                "baseline": baseline.code,
                "place": place.name,
            }
        return {
            **body,
            "available": False,
            "reason": reason,
            "slope": None,
            "intercept": None,
            "r_squared": None,
            "fitted_count": 0,
            "method": "",
            "summary": "",
            "points": [],
        }
    hidden = {p.period.code for p in points if p.suppressed}
    return {
        **body,
        "available": result.available,
        "reason": result.reason,
        "slope": figure(result.slope),
        "intercept": figure(result.intercept),
        "r_squared": figure(result.r_squared),
        "fitted_count": result.fitted_count,
        "method": result.method,
        "summary": result.summary,
        "points": [
            {
                "period": str(point.label),
                "actual": figure(point.actual),
                "suppressed": point.label in hidden,
                "forecast": figure(point.forecast),
                "difference": figure(point.difference),
                "better": point.better,
                "fitted": point.fitted,
                "excluded": point.excluded,
            }
            for point in result.points
        ],
    }


# --- Equity ----------------------------------------------------------------------------------


class EquityFilters(RangeFilters):
    dimension: str | None = Field(
        None,
        description="A dimension code the indicator is split by; by default the first "
        "by name (as on the page).",
    )


def _dimension(initiative: Initiative, indicator: Indicator, code: str | None) -> Dimension:
    if not code:
        first = indicator.dimensions.order_by("name").first()
        if first is None:
            raise HttpError(
                422,
                _("%(i)s is not split into groups, so there are no gaps to compare.")
                % {"i": indicator.code},
            )
        return first
    dimension = dimension_or_404(initiative, code)
    if not indicator.dimensions.filter(pk=dimension.pk).exists():
        raise HttpError(
            422, _("%(i)s is not split by %(d)s.") % {"i": indicator.code, "d": dimension.code}
        )
    return dimension


def _trend(trend: equity.GapTrend | None) -> dict[str, object] | None:
    if trend is None:
        return None
    return {
        "status": trend.status,
        "first_period": None if trend.first_label is None else str(trend.first_label),
        "last_period": None if trend.last_label is None else str(trend.last_label),
        "first_gap": figure(trend.first_gap),
        "last_gap": figure(trend.last_gap),
        "change": figure(trend.change),
        "distinguishable": trend.distinguishable,
        "words": trend.words,
        "rule": trend.rule,
    }


def _gap(gap: equity.Gap, trend: equity.GapTrend | None, member: Member) -> dict[str, object]:
    return {
        "group": member(gap.key),
        "label": gap.label,
        "value": figure(gap.value),
        "suppressed": gap.suppressed,
        "is_reference": gap.is_reference,
        "difference": figure(gap.difference),
        "ratio": figure(gap.ratio),
        "worse_off": gap.worse_off,
        "se": figure(gap.se),
        "distinguishable": gap.distinguishable,
        "words": gap.words,
        "trend": _trend(trend),
    }


def _track(track: equity.Track, member: Member) -> dict[str, object]:
    return {
        "group": member(track.key),
        "label": track.label,
        "on_track": track.on_track,
        "expected": figure(track.expected),
        "latest": figure(track.latest),
        "target": figure(track.target),
        "target_reached": track.target_reached,
        "suppressed": track.suppressed,
        "words": track.words,
    }


def _equity(
    indicator: Indicator,
    place: Place | None,
    dimension: Dimension,
    view: insights.EquityView | None,
) -> dict[str, object]:
    body: dict[str, object] = {
        "indicator": indicator.code,
        "place": place.code if place else None,
        "dimension": dimension.code,
        "latest_period": None,
        "confidence": None,
        "method": "",
        "reference": None,
        "groups": [],
        "tracks": [],
        "summary": "",
    }
    if view is None or view.table is None or view.latest is None:
        return body  # no group has a figure (here, in these periods)

    def member(key: object) -> str | None:
        """The member code of a breakdown key ("shelter:sheltered" → "sheltered"); None for the
        total."""
        return breakdown_members(str(key)).get(dimension.code) if key else None

    table = view.table
    return {
        **body,
        "latest_period": view.latest.code,
        "confidence": figure(table.confidence),
        "method": table.method,
        "reference": {
            "group": member(table.reference_key),
            "label": table.reference_label,
            "reason": table.reference_reason,
        },
        "groups": [_gap(gap, view.trends.get(gap.key), member) for gap in table.gaps],
        "tracks": [_track(track, member) for track in view.tracks],
        "summary": view.universal,
    }


@router.get(f"{ONE}/equity", response={200: EquityOut, **READS})
def indicator_equity(
    request: HttpRequest, slug: str, code: str, filters: Query[EquityFilters]
) -> dict[str, object]:
    """Are the gaps between groups closing? Each group of a dimension beside a reference group
    (the one chosen for the indicator, else the best-off) at the latest period, with the
    difference, the ratio and whether the gap is larger than its margin of error; each gap's
    trend over the latest comparable stretch; and, where targets are set per group, whether
    everyone and each group is on track (targeted universalism).

    A hidden group (too few people) has no value and no gap, and is never the reference.
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    indicator = indicator_or_404(user, initiative, code)
    dimension = _dimension(initiative, indicator, filters.dimension)
    place = _place(initiative, indicator, filters.place)
    within = _within(filters)
    view = None
    if place is not None:
        view = insights.equity_view(
            user,
            indicator,
            place,
            dimension,
            periods=[p for p in selectors.periods_with_data([indicator]) if within(p)],
            threshold=Decimal(initiative.needle_threshold),
        )
    return _equity(indicator, place, dimension, view)


# --- Peers -----------------------------------------------------------------------------------


def _standing(standing: comparison.Standing) -> dict[str, object]:
    # Never the key: it is the organization's id, which would unmask an anonymous label.
    return {
        "label": standing.label,
        "named": standing.named,
        "is_viewer": standing.is_viewer,
        "value": figure(standing.value),
        "suppressed": standing.suppressed,
        "rank": standing.rank,
        "of": standing.of,
        "quartile": standing.quartile,
        "from_median": figure(standing.from_median),
    }


@router.get(f"{ONE}/peers", response={200: PeersOut, 403: Message, 404: Message})
def indicator_peers(request: HttpRequest, slug: str, code: str) -> dict[str, object]:
    """How does each partner compare with its peers? For a performance measure reported by
    several partners: per period, the peer median, quartiles and range, and each partner's
    figure, rank and quartile (1 = best).

    Only for the people who take part in the initiative (403 otherwise). You see your own
    organization named and the other partners as “Partner A”, “Partner B”… (the same letter in
    every period), unless the initiative chose open comparison; the backbone team sees every
    name. 404 for an indicator that is not a performance measure.
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    if not permissions.may_compare_peers(user, initiative):
        raise HttpError(
            403,
            _("Only the people who take part in %(initiative)s can compare partners.")
            % {"initiative": initiative},
        )
    indicator = indicator_or_404(user, initiative, code)
    if indicator.level != Level.PERFORMANCE:
        raise HttpError(
            404,
            _(
                "%(code)s is not a performance measure: partners are compared only on "
                "performance measures."
            )
            % {"code": indicator.code},
        )
    view = insights.peers_view(user, indicator)
    return {
        "indicator": indicator.code,
        "all_named": view.named_all,
        "method": insights.peers_method(user, indicator),
        "periods": [
            {
                "period": str(summary.label),
                "count": summary.count,
                "median": figure(summary.median),
                "q1": figure(summary.q1),
                "q3": figure(summary.q3),
                "low": figure(summary.low),
                "high": figure(summary.high),
                "suppressed_count": summary.suppressed,
                "missing_count": summary.missing,
                "standings": [_standing(s) for s in summary.standings],
            }
            for summary in view.summaries
        ],
    }
