"""Sections of the indicator page that learn from the figures: signal or noise (a control or
run chart) and turning the curve (the earlier trend projected beside the actual figures).

Both are built from the same published figures as the page's table (``measurement.insights``),
and each chart has a table with the same figures next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from backbone.analytics import spc
from backbone.core.permissions import AnyUser
from backbone.measurement import charts, insights
from backbone.measurement.models import Indicator
from backbone.measurement.publishing import PublishedPoint
from backbone.measurement.views.common import axis_format, axis_title, fmt_value

# --- Signal or noise -------------------------------------------------------------------------


def kind_words(kind: spc.ChartKind) -> str:
    """The chart's name in words."""
    return {
        spc.ChartKind.RUN: _("run chart"),
        spc.ChartKind.XMR: _("XmR chart (individual values and moving ranges)"),
        spc.ChartKind.P: _("p-chart (proportions)"),
        spc.ChartKind.P_PRIME: _("Laney p′ chart (proportions with large denominators)"),
    }[kind]


@dataclass(frozen=True)
class SignalRow:
    period: str
    value: str
    centre: str
    lower: str
    upper: str
    reading: str
    signal: bool
    excluded: bool


def _status(point: spc.ChartPoint) -> str:
    if point.excluded:
        return "excluded"
    return "signal" if point.rules else "noise"


def _statuses() -> dict[str, str]:
    return {
        "noise": _("Usual variation"),
        "signal": _("Signal"),
        "excluded": _("Not comparable: left out"),
    }


def signal_section(
    user: AnyUser, indicator: Indicator, place_name: str, points: Sequence[PublishedPoint]
) -> dict:
    """The signal-or-noise section's context: the chart, its table and the signals in words."""
    usable = [p for p in points if not p.suppressed and p.point.aggregate.value is not None]
    if not usable:
        return {}
    chart = insights.control_chart(user, indicator, points)
    by_label = {p.period.code: p for p in points}
    statuses = _statuses()

    def fmt(value: float | None) -> str:
        return "" if value is None else fmt_value(indicator, Decimal(str(value)))

    rows, plotted = [], []
    for point in chart.points:
        shown = by_label[point.label]
        status = _status(point)
        # A few-crossings signal is about the whole phase: listed once, not on every row.
        reasons = [
            signal.description
            for signal in chart.signals
            if point.label in signal.labels and signal.rule != spc.Rule.FEW_CROSSINGS
        ]
        reading = statuses[status]
        if reasons:
            reading = " ".join(reasons)
        rows.append(
            SignalRow(
                period=str(point.label),
                value=_("hidden (small number)") if shown.suppressed else fmt(point.value),
                centre=fmt(point.centre),
                lower=fmt(point.lower),
                upper=fmt(point.upper),
                reading=reading,
                signal=status == "signal",
                excluded=point.excluded,
            )
        )
        plotted.append(
            {
                "period": point.label,
                "start": shown.period.start,
                "value": None if shown.suppressed else point.value,
                "centre": point.centre,
                "lower": point.lower,
                "upper": point.upper,
                "phase": point.phase,
                "segment": shown.point.segment,
                "status": status,
                "rules": " ".join(reasons),
            }
        )
    kind = kind_words(chart.kind)
    spec = charts.control_spec(
        points=plotted,
        title=_("Signal or noise: %(name)s, %(place)s")
        % {"name": indicator.name, "place": place_name},
        description=_(
            "%(kind)s of %(name)s in %(place)s: each value with the centre line and the limits "
            "of usual variation. Points outside the limits or in long runs are marked as "
            "signals. The same figures are in the table below the chart."
        )
        % {"kind": kind[:1].upper() + kind[1:], "name": indicator.name, "place": place_name},
        y_title=axis_title(indicator),
        statuses=statuses,
        y_format=f",.{indicator.decimals}f",  # limits are fractional: round like the table
    )
    return {"spc": chart, "spc_kind": kind, "spc_spec": spec, "spc_rows": rows}


# --- Turn the curve --------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastRow:
    period: str
    actual: str
    forecast: str
    difference: str
    verdict: str
    fitted: bool
    excluded: bool


def forecast_section(
    indicator: Indicator, place_name: str, points: Sequence[PublishedPoint]
) -> dict:
    """The turn-the-curve section's context: the trend before the baseline projected beside the
    actual figures, with how far above or below the forecast each later figure is."""
    result = insights.baseline_forecast(indicator, points)
    if result is None:
        return {}
    if not result.available:
        return {"forecast": result}
    starts = {p.period.code: p.period.start for p in points}
    rows, plotted = [], []
    actual_label, forecast_label = _("Actual"), _("Forecast from the earlier trend")
    for point in result.points:
        # The difference as shown: the two rounded figures apart (as in the summary sentence).
        shown = point.shown_difference
        difference = ""
        if shown is not None:
            difference = charts.format_change(
                shown,
                unit=indicator.unit,
                decimals=indicator.decimals,
                rate_base=indicator.rate_base,
            )
        verdict = ""
        if point.better is not None and shown:
            verdict = _("better than forecast") if point.better else _("worse than forecast")
        rows.append(
            ForecastRow(
                period=str(point.label),
                actual=fmt_value(indicator, point.actual),
                forecast=""
                if point.forecast is None
                else fmt_value(indicator, Decimal(str(point.forecast))),
                difference=difference,
                verdict=verdict,
                fitted=point.fitted,
                excluded=point.excluded,
            )
        )
        start = starts[point.label]
        if point.actual is not None:
            plotted.append(
                {
                    "period": point.label,
                    "start": start,
                    "value": point.actual,
                    "group": actual_label,
                }
            )
        if point.forecast is not None:
            plotted.append(
                {
                    "period": point.label,
                    "start": start,
                    "value": charts.rounded(point.forecast, indicator.decimals),
                    "group": forecast_label,
                }
            )
    baseline = indicator.baseline_period
    spec = charts.trend_spec(
        points=plotted,
        title=_("Turn the curve: %(name)s, %(place)s")
        % {"name": indicator.name, "place": place_name},
        description=_(
            "Line chart of %(name)s in %(place)s: the actual figures beside the straight-line "
            "trend of the years before the baseline (%(baseline)s), projected forward. The same "
            "figures are in the table below the chart."
        )
        % {"name": indicator.name, "place": place_name, "baseline": baseline.code},
        y_title=axis_title(indicator),
        annotations=[{"start": baseline.start, "text": _("Baseline %(p)s") % {"p": baseline.code}}],
        group_field="group",
        group_title=_("Line"),
        y_format=axis_format(indicator),
    )
    return {"forecast": result, "forecast_rows": rows, "forecast_spec": spec}
