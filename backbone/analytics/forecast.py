"""Turning the curve: where the indicator was heading before the work began, and where it is now.

Pure functions on plain values; no database, no web. "Turn the curve" (Friedman, *Trying Hard Is
Not Good Enough*, 2005) compares what happened with the *forecast* — the line the indicator was
on before a baseline period — rather than with the baseline value alone: a count still rising,
but more slowly than its past trend, is a curve starting to turn.

The forecast is a straight line fitted by ordinary least squares to the values strictly before
the baseline, ``y = intercept + slope × x`` with x in decimal years::

    slope = (n Σxy − Σx Σy) / (n Σx² − (Σx)²),    intercept = (Σy − slope Σx) / n

and projected forward to the baseline and every period after it. The sums are worked out exactly
(with fractions), so a perfectly straight series is forecast exactly; the results are floats.
Only values comparable with the baseline go into the line: those in the same series segment (the
same definition of the indicator) and not excluded (say, a year that counted only sheltered
people). Values after a series break get no forecast, because the line was drawn for the old
definition.

Numbers in ``summary`` are rounded half-up to ``decimals`` places, formatted for the active
language, then followed by ``unit_suffix`` exactly as given (``" %"``, ``" points"`` or ``""``).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backbone.analytics.progress import Direction

Number = Decimal | int | float


def _dec(value: Number | None) -> Decimal | None:
    """A Decimal from a Decimal, int or float (a float by its shortest repr: ``0.1`` → ``0.1``)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


def _rounded(value: Number | Fraction, decimals: int) -> Decimal:
    """Half-up to ``decimals`` places (the rounding every page uses), never ``-0``."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return abs(number) if number == 0 else number


def _figure(value: Decimal, decimals: int, unit_suffix: str) -> str:
    text = number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return text + unit_suffix


@dataclass(frozen=True)
class ForecastPoint:
    label: Hashable
    x: float
    actual: Decimal | None
    forecast: float | None  # the line at x; None before the first fitted point or across a break
    difference: float | None  # actual − forecast, from the baseline on, comparable values only
    better: bool | None  # actual better than forecast by the direction; None when neutral
    fitted: bool  # used to fit the line
    excluded: bool = False  # the caller marked this value not comparable
    # actual − forecast as a reader sees it: the two figures rounded to ``decimals`` first, so a
    # table row, the summary sentence and better/worse never disagree
    shown_difference: Decimal | None = None


@dataclass(frozen=True)
class Forecast:
    available: bool
    reason: str  # why there is no forecast, else ""
    baseline_label: Hashable | None
    slope: float | None  # per unit of x (per year)
    intercept: float | None  # the line at x = 0
    r_squared: float | None  # None when the fitted values are all equal (nothing to explain)
    points: tuple[ForecastPoint, ...]
    method: str  # how the line was drawn, for the page; "" when not available
    summary: str  # the latest comparable value against the forecast; "" when not available
    fitted_count: int = 0  # how many values the line was fitted to


def _fit(xs: Sequence[Fraction], ys: Sequence[Fraction]) -> tuple[Fraction, Fraction]:
    """Least-squares slope and intercept, exactly. The xs must not all be equal."""
    n = len(xs)
    sx, sy = sum(xs, Fraction(0)), sum(ys, Fraction(0))
    sxy = sum((x * y for x, y in zip(xs, ys, strict=True)), Fraction(0))
    sxx = sum((x * x for x in xs), Fraction(0))
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    return slope, (sy - slope * sx) / n


def _r_squared(
    xs: Sequence[Fraction], ys: Sequence[Fraction], slope: Fraction, intercept: Fraction
) -> float | None:
    """1 − SS_res / SS_tot; None when every y is the same (SS_tot = 0)."""
    mean = sum(ys, Fraction(0)) / len(ys)
    total = sum(((y - mean) ** 2 for y in ys), Fraction(0))
    if total == 0:
        return None
    residual = sum(
        ((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True)), Fraction(0)
    )
    return float(1 - residual / total)


def _labels(labels: Sequence[Hashable]) -> str:
    return ", ".join(str(label) for label in labels)


def baseline_forecast(
    points: Sequence[tuple[Hashable, float, Number | None]],
    *,
    baseline: Hashable,
    direction: Direction | str,
    segments: Sequence[int] | None = None,
    excluded: Collection[Hashable] = (),
    min_points: int = 3,
    decimals: int = 0,
    unit_suffix: str = "",
    difference_suffix: str | None = None,
) -> Forecast:
    """The pre-baseline trend line and how each value from the baseline on compares with it.

    ``points`` are ``(label, x, value)`` in time order, x in decimal years, ``None`` for a gap.
    ``segments`` gives each point's series segment (a number that changes at every series break;
    all one segment when omitted). The line is fitted to the values strictly before the first
    point labelled ``baseline`` that are in the baseline's segment, are not ``None`` and are not
    in ``excluded``; it needs at least ``min_points`` of them (at least 2) at more than one x.
    Every point of the baseline's segment from the first fitted one on gets the line's value;
    ``difference`` and ``better`` are set only from the baseline on, for comparable values.
    When there is no forecast, ``points`` still lists every value (with no forecast).
    ``difference_suffix`` follows differences in words (" percentage points" for a percent);
    ``unit_suffix`` when not given.
    """
    direction = Direction(direction)
    if min_points < 2:
        raise ValueError("A straight line needs at least two values.")
    segment_of = list(segments) if segments is not None else [0] * len(points)
    if len(segment_of) != len(points):
        raise ValueError("Give one segment for each point.")
    rows = [(label, float(x), _dec(v), label in excluded) for label, x, v in points]
    plain = tuple(
        ForecastPoint(label, x, value, None, None, None, fitted=False, excluded=ex)
        for label, x, value, ex in rows
    )

    def unavailable(reason: str, baseline_label: Hashable | None = baseline) -> Forecast:
        return Forecast(False, reason, baseline_label, None, None, None, plain, "", "")

    base = next((i for i, row in enumerate(rows) if row[0] == baseline), None)
    if base is None:
        return unavailable(
            _("The baseline period %(baseline)s is not among the values.") % {"baseline": baseline},
            None,
        )
    segment = segment_of[base]
    fit = [
        i
        for i in range(base)
        if rows[i][2] is not None and not rows[i][3] and segment_of[i] == segment
    ]
    if len(fit) < min_points:
        return unavailable(
            _(
                "A forecast needs at least %(n)s values before %(baseline)s from the same "
                "definition of the indicator; %(count)s can be used."
            )
            % {"n": min_points, "baseline": baseline, "count": len(fit)}
        )
    xs = [Fraction(rows[i][1]) for i in fit]
    ys = [Fraction(rows[i][2]) for i in fit]  # type: ignore[arg-type]
    if len(set(xs)) == 1:
        return unavailable(
            _(
                "All the values before %(baseline)s are for the same time, so no trend line "
                "can be drawn."
            )
            % {"baseline": baseline}
        )
    slope, intercept = _fit(xs, ys)
    fitted = set(fit)

    result: list[ForecastPoint] = []
    latest: tuple[Hashable, Decimal, Fraction] | None = None
    for i, (label, x, value, ex) in enumerate(rows):
        line = intercept + slope * Fraction(x) if segment_of[i] == segment and i >= fit[0] else None
        difference = better = shown = None
        if i >= base and line is not None and value is not None and not ex:
            gap = Fraction(value) - line
            difference = float(gap)
            # Rounding both figures never flips the sign of the difference; it can make it 0,
            # and a page then says "on the forecast" (neither better nor worse).
            shown = _rounded(value, decimals) - _rounded(line, decimals)
            if direction != Direction.NEUTRAL:
                better = gap > 0 if direction == Direction.UP else gap < 0
            latest = (label, value, line)
        result.append(
            ForecastPoint(
                label,
                x,
                value,
                None if line is None else float(line),
                difference,
                better,
                fitted=i in fitted,
                excluded=ex,
                shown_difference=shown,
            )
        )

    method = _(
        "A straight line fitted by least squares to the %(n)s values from %(first)s to "
        "%(last)s, projected forward from %(baseline)s."
    ) % {"n": len(fit), "first": rows[fit[0]][0], "last": rows[fit[-1]][0], "baseline": baseline}
    earlier = [i for i in range(base) if segment_of[i] != segment and rows[i][2] is not None]
    if earlier:
        start = next(i for i in range(base + 1) if segment_of[i] == segment)
        method += " " + _(
            "Values before %(label)s used an earlier definition of the indicator and are not used."
        ) % {"label": rows[start][0]}
    left_out = [label for label, _x, value, ex in rows if ex and value is not None]
    if left_out:
        method += " " + _("Not comparable, so left out: %(labels)s.") % {
            "labels": _labels(left_out)
        }
    broken = next((i for i in range(base + 1, len(rows)) if segment_of[i] != segment), None)
    break_words = ""
    if broken is not None:
        break_words = _(
            "The indicator’s definition changed in %(label)s, so values from then on are not "
            "compared with the forecast."
        ) % {"label": rows[broken][0]}
        method += " " + break_words

    if latest is None:
        summary = _("No value from %(baseline)s on can be compared with the forecast yet.") % {
            "baseline": baseline
        }
    else:
        label, actual, line = latest
        shown_actual, shown_line = _rounded(actual, decimals), _rounded(line, decimals)
        # The difference in words is worked out from the two rounded figures, so the sentence
        # adds up for a reader checking it.
        shown_difference = shown_actual - shown_line
        values = {
            "label": label,
            "actual": _figure(shown_actual, decimals, unit_suffix),
            "forecast": _figure(shown_line, decimals, unit_suffix),
            "difference": _figure(
                abs(shown_difference),
                decimals,
                unit_suffix if difference_suffix is None else difference_suffix,
            ),
        }
        if shown_difference == 0:
            position = _("on the forecast")
        else:
            side = (
                _("%(difference)s above the forecast")
                if shown_difference > 0
                else _("%(difference)s below the forecast")
            ) % values
            if direction == Direction.NEUTRAL:
                position = side
            elif (shown_difference > 0) == (direction == Direction.UP):
                position = _("%(side)s (better)") % {"side": side}
            else:
                position = _("%(side)s (worse)") % {"side": side}
        values["position"] = position
        summary = _("In %(label)s, %(actual)s against %(forecast)s forecast: %(position)s.")
        summary %= values
    if break_words:
        summary += " " + break_words

    return Forecast(
        available=True,
        reason="",
        baseline_label=baseline,
        slope=float(slope),
        intercept=float(intercept),
        r_squared=_r_squared(xs, ys, slope, intercept),
        points=tuple(result),
        method=method,
        summary=summary,
        fitted_count=len(fit),
    )
