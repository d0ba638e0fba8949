"""Vega-Lite chart specs built in Python: pure functions from plain values to plain dicts.

One chart definition serves the web page (drawn by ``static/js/charts.js``), the PDF report and
the API. The specs use no Vega expressions that need ``eval`` and no external data, so they draw
under the site's Content Security Policy and offline. Every chart has a table with the same
figures next to it (the accessible alternative); these specs never hold a number that the table
does not.

Public API (other areas import it; keep the signatures stable, add keyword arguments with
defaults only):

- ``trend_spec(...)``: a line over time, optionally one line per group, with the baseline,
  targets and annotations drawn on the chart and no line joining points across a series break.
- ``control_spec(...)``: a control or run chart: values, centre line and limits per phase,
  points marked as signal, usual variation or left out.
- ``sparkline_spec(...)``: a tiny Vega-Lite line without axes; ``sparkline(...)``: the same as
  plain SVG geometry drawn by the server (no JavaScript needed).
- ``format_value`` / ``format_change`` / ``rounded``: figures in their unit, rounded the same way
  in charts, tables and downloads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# Colours with at least 3:1 contrast against white (WCAG 2.2 non-text contrast).
LINE_COLOUR = "#1d4ed8"
BASELINE_COLOUR = "#4b5563"
TARGET_COLOUR = "#047857"
ANNOTATION_COLOUR = "#b45309"
GROUP_COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed", "#be123c", "#0f766e", "#4b5563")
GROUP_SHAPES = ("circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "stroke")

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal | int | float) else float(Decimal(str(value)))


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _rows(points: Iterable[Mapping[str, Any]], group_field: str | None) -> list[dict]:
    """The plotted rows: suppressed or missing values (``None``) are left out."""
    rows = []
    for point in points:
        value = _number(point.get("value"))
        if value is None or point.get("suppressed"):
            continue
        row = {
            "period": str(point["period"]),
            "start": _date(point["start"]),
            "value": value,
            "segment": int(point.get("segment", 0)),
        }
        if group_field:
            row["group"] = str(point.get(group_field, ""))
        rows.append(row)
    return rows


def _config(number_format: str = ",~f") -> dict:
    return {
        "font": FONT,
        "numberFormat": number_format,
        "view": {"stroke": None},
        "axis": {
            "labelFontSize": 12,
            "titleFontSize": 12,
            "labelColor": "#1f2937",
            "titleColor": "#1f2937",
            "gridColor": "#e5e7eb",
        },
        "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "labelLimit": 320},
        "title": {"fontSize": 14, "anchor": "start", "color": "#111827"},
    }


def trend_spec(
    *,
    points: list[dict],
    title: str,
    description: str,
    y_title: str,
    baseline: Mapping[str, Any] | None = None,
    targets: Iterable[Mapping[str, Any]] = (),
    annotations: Iterable[Mapping[str, Any]] = (),
    group_field: str | None = None,
    group_title: str = "",
    x_title: str = "",
    y_format: str = ",~f",
    time_format: str = "%Y",
    tick_interval: str | None = "year",
    height: int = 260,
) -> dict:
    """A Vega-Lite spec for an indicator over time.

    ``points``: dicts with ``period`` (label shown in tooltips, e.g. "2019"), ``start`` (the
    period's start, a date or ISO string), ``value`` (number, or ``None`` when suppressed or
    missing: such points are left out), optional ``segment`` (points in different segments are not
    joined by a line: a series break) and, when ``group_field`` is given, that key holding the
    group's label (one line per group, told apart by colour AND point shape, with a legend titled
    ``group_title``). Points with ``suppressed`` true are left out as well.

    ``baseline``: ``{"value": number, "label": "Baseline 2015: 1,234"}`` drawn as a dashed grey
    rule with its label. ``targets``: ``{"value", "label"}`` dicts drawn as green dashed rules
    with labels. ``annotations``: ``{"start": date, "text": "..."}`` dicts drawn as a vertical
    orange rule at that period with the text written beside it.

    ``description`` becomes the chart's accessible name (``aria-label`` of the SVG); the table
    next to the chart holds the same figures. ``y_format`` is a d3 number format for the axis
    and tooltips; ``time_format`` a d3 time format for the periods, with at most one tick per
    ``tick_interval`` (a Vega time interval such as "year" or "month"; ``None``: let Vega choose).
    """
    rows = _rows(points, group_field)
    x = {
        "field": "start",
        "type": "temporal",
        "title": x_title or None,
        "scale": {"type": "utc"},
        "axis": {
            "format": time_format,
            "labelOverlap": True,
            **({"tickCount": {"interval": tick_interval}} if tick_interval else {}),
        },
    }
    y = {
        "field": "value",
        "type": "quantitative",
        "title": y_title,
        "axis": {"format": y_format},
        "scale": {"zero": False, "nice": True},
    }
    tooltip = [
        {"field": "period", "type": "nominal", "title": _("Period")},
        {"field": "value", "type": "quantitative", "title": y_title, "format": y_format},
    ]
    line_encoding: dict = {"x": x, "y": y, "detail": {"field": "segment", "type": "nominal"}}
    point_encoding: dict = {"x": x, "y": y, "tooltip": tooltip}
    if group_field:
        groups = list(dict.fromkeys(row["group"] for row in rows))
        colour = {
            "field": "group",
            "type": "nominal",
            "title": group_title or None,
            "scale": {"domain": groups, "range": list(GROUP_COLOURS[: max(len(groups), 1)])},
        }
        shape = {
            "field": "group",
            "type": "nominal",
            "title": group_title or None,
            "scale": {"domain": groups, "range": list(GROUP_SHAPES[: max(len(groups), 1)])},
        }
        line_encoding["color"] = colour
        line_encoding["detail"] = [
            {"field": "group", "type": "nominal"},
            {"field": "segment", "type": "nominal"},
        ]
        point_encoding["color"] = colour
        point_encoding["shape"] = shape
        tooltip.insert(0, {"field": "group", "type": "nominal", "title": group_title or _("Group")})
        line_mark = {"type": "line", "strokeWidth": 2}
        point_mark = {"type": "point", "filled": True, "size": 50}
    else:
        line_mark = {"type": "line", "strokeWidth": 2, "color": LINE_COLOUR}
        point_mark = {"type": "point", "filled": True, "size": 50, "color": LINE_COLOUR}

    layers: list[dict] = [
        {"mark": line_mark, "encoding": line_encoding},
        {"mark": point_mark, "encoding": point_encoding},
    ]
    references = []
    if baseline is not None and _number(baseline.get("value")) is not None:
        references.append((baseline, BASELINE_COLOUR, "baseline"))
    for target in targets:
        if _number(target.get("value")) is not None:
            references.append((target, TARGET_COLOUR, "target"))
    for reference, colour, kind in references:
        datum = {"value": _number(reference["value"]), "label": str(reference.get("label", ""))}
        layers.append(
            {
                "data": {"values": [datum]},
                "description": kind,
                "layer": [
                    {
                        "mark": {"type": "rule", "color": colour, "strokeDash": [6, 4]},
                        "encoding": {"y": {**y, "title": y_title}},
                    },
                    {
                        "mark": {
                            "type": "text",
                            "align": "left",
                            "baseline": "bottom",
                            "dx": 4,
                            "dy": -3,
                            "color": colour,
                            "fontSize": 11,
                        },
                        "encoding": {
                            "x": {"value": 0},
                            "y": {**y, "title": y_title},
                            "text": {"field": "label"},
                        },
                    },
                ],
            }
        )
    notes = [
        {"start": _date(note["start"]), "text": str(note["text"])}
        for note in annotations
        if note.get("text")
    ]
    if notes:
        note_x = {"field": "start", "type": "temporal", "scale": {"type": "utc"}}
        layers.append(
            {
                "data": {"values": notes},
                "description": "annotations",
                "layer": [
                    {
                        "mark": {"type": "rule", "color": ANNOTATION_COLOUR, "strokeWidth": 1.5},
                        "encoding": {"x": note_x},
                    },
                    {
                        "mark": {
                            "type": "text",
                            "align": "left",
                            "baseline": "top",
                            "dx": 4,
                            "color": "#92400e",
                            "fontSize": 11,
                            "limit": 220,
                        },
                        "encoding": {
                            "x": note_x,
                            "y": {"value": 2},
                            "text": {"field": "text"},
                        },
                    },
                ],
            }
        )
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "width": "container",
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "layer": layers,
        "config": _config(y_format),
    }


SIGNAL_COLOUR = "#be123c"
LIMIT_COLOUR = "#6b7280"
EXCLUDED_COLOUR = "#6b7280"


def control_spec(
    *,
    points: list[dict],
    title: str,
    description: str,
    y_title: str,
    statuses: Mapping[str, str],
    y_format: str = ",~f",
    time_format: str = "%Y",
    tick_interval: str | None = "year",
    height: int = 260,
) -> dict:
    """A Vega-Lite control chart (or run chart): the values joined by a line, the centre line
    and the limits drawn per phase (limits step where they change, as on a p-chart), and each
    point coloured *and* shaped by its status.

    ``points``: dicts with ``period``, ``start``, ``value``, ``centre``, ``lower``, ``upper``
    (numbers or ``None``), ``phase`` (limits are not joined across phases), ``segment`` and
    ``status`` — one of the keys of ``statuses`` (``"signal"``, ``"noise"``, ``"excluded"``),
    whose values are the legend's words. ``rules`` (text) is shown in the tooltip.
    """
    rows = []
    for point in points:
        value = _number(point.get("value"))
        if value is None:
            continue
        rows.append(
            {
                "period": str(point["period"]),
                "start": _date(point["start"]),
                "value": value,
                "centre": _number(point.get("centre")),
                "lower": _number(point.get("lower")),
                "upper": _number(point.get("upper")),
                "phase": int(point.get("phase", 0)),
                "segment": int(point.get("segment", 0)),
                "status": statuses[point["status"]],
                "rules": str(point.get("rules", "")),
            }
        )
    x = {
        "field": "start",
        "type": "temporal",
        "title": None,
        "scale": {"type": "utc"},
        "axis": {
            "format": time_format,
            "labelOverlap": True,
            **({"tickCount": {"interval": tick_interval}} if tick_interval else {}),
        },
    }

    def y(field: str) -> dict:
        return {
            "field": field,
            "type": "quantitative",
            "title": y_title,
            "axis": {"format": y_format},
            "scale": {"zero": False, "nice": True},
        }

    def reference(field: str, dash: list[int] | None) -> dict:
        mark = {"type": "line", "color": LIMIT_COLOUR, "strokeWidth": 1.5, "interpolate": "step"}
        if dash:
            mark["strokeDash"] = dash
        return {
            "transform": [{"filter": {"field": field, "valid": True}}],
            "mark": mark,
            "encoding": {"x": x, "y": y(field), "detail": {"field": "phase", "type": "nominal"}},
        }

    domain = list(statuses.values())
    colours = {"signal": SIGNAL_COLOUR, "noise": LINE_COLOUR, "excluded": EXCLUDED_COLOUR}
    shapes = {"signal": "diamond", "noise": "circle", "excluded": "square"}
    tooltip = [
        {"field": "period", "type": "nominal", "title": _("Period")},
        {"field": "value", "type": "quantitative", "title": y_title, "format": y_format},
        {"field": "centre", "type": "quantitative", "title": _("Centre line"), "format": y_format},
        {"field": "lower", "type": "quantitative", "title": _("Lower limit"), "format": y_format},
        {"field": "upper", "type": "quantitative", "title": _("Upper limit"), "format": y_format},
        {"field": "status", "type": "nominal", "title": _("Reading")},
        {"field": "rules", "type": "nominal", "title": _("Why")},
    ]
    layers = [
        reference("upper", [6, 4]),
        reference("lower", [6, 4]),
        reference("centre", None),
        {
            "mark": {"type": "line", "color": LINE_COLOUR, "strokeWidth": 2},
            "encoding": {
                "x": x,
                "y": y("value"),
                "detail": {"field": "segment", "type": "nominal"},
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": 70},
            "encoding": {
                "x": x,
                "y": y("value"),
                "color": {
                    "field": "status",
                    "type": "nominal",
                    "title": _("Reading"),
                    "scale": {"domain": domain, "range": [colours[k] for k in statuses]},
                },
                "shape": {
                    "field": "status",
                    "type": "nominal",
                    "title": _("Reading"),
                    "scale": {"domain": domain, "range": [shapes[k] for k in statuses]},
                },
                "tooltip": tooltip,
            },
        },
    ]
    return {
        "$schema": SCHEMA,
        "title": title,
        "description": description,
        "width": "container",
        "height": height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "data": {"values": rows},
        "layer": layers,
        "config": _config(y_format),
    }


def sparkline_spec(
    *, points: list[dict], description: str, width: int = 120, height: int = 32
) -> dict:
    """A tiny line (no axes, no labels) for a dashboard tile; ``points`` as in ``trend_spec``.

    The tile states the figures in words; this only shows the shape of the trend.
    """
    rows = _rows(points, None)
    x = {"field": "start", "type": "temporal", "axis": None, "scale": {"type": "utc"}}
    y = {"field": "value", "type": "quantitative", "axis": None, "scale": {"zero": False}}
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": width,
        "height": height,
        "padding": 2,
        "data": {"values": rows},
        "mark": {"type": "line", "color": LINE_COLOUR, "strokeWidth": 1.5},
        "encoding": {"x": x, "y": y, "detail": {"field": "segment", "type": "nominal"}},
        "config": {"view": {"stroke": None}},
    }


# --- Numbers in words and tiny inline charts -------------------------------------------------


def rounded(value: Decimal | float | int | None, decimals: int) -> Decimal | None:
    """``value`` rounded half-up to ``decimals`` places: the figure every page, chart and table
    shows (the same rounding everywhere, so the chart and its table never disagree)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(value: Decimal | float | int | None, decimals: int = 0) -> str:
    """A locale-formatted number with grouping (``10,345``, ``45.2``); empty for ``None``."""
    if value is None:
        return ""
    return number_format(rounded(value, decimals), decimals, use_l10n=True, force_grouping=True)


def format_value(
    value: Decimal | float | int | None, *, unit: str, decimals: int = 0, rate_base: Any = 100
) -> str:
    """A figure in its unit: ``10,345`` (count), ``45.2%`` (percent), ``12.5 per 1,000`` (rate).

    ``unit`` is an ``Indicator.unit`` value; unknown units are shown as plain numbers.
    """
    if value is None:
        return ""
    number = format_number(value, decimals)
    if unit == "percent":
        return _("%(n)s%%") % {"n": number}
    if unit == "rate":
        return _("%(n)s per %(base)s") % {"n": number, "base": format_number(rate_base)}
    return number


def format_change(
    change: Decimal | float | int | None, *, unit: str, decimals: int = 0, rate_base: Any = 100
) -> str:
    """A signed change in the figure's unit: ``+1,041``, ``−2.5 percentage points``."""
    if change is None:
        return ""
    shown = rounded(change, decimals)  # the sign of what is shown: never "−0.0"
    sign = "+" if shown > 0 else ("−" if shown < 0 else "")
    number = format_number(abs(shown), decimals)
    if unit == "percent":
        return _("%(sign)s%(n)s percentage points") % {"sign": sign, "n": number}
    if unit == "rate":
        return _("%(sign)s%(n)s per %(base)s") % {
            "sign": sign,
            "n": number,
            "base": format_number(rate_base),
        }
    return sign + number


@dataclass(frozen=True)
class Sparkline:
    """A tiny line as SVG geometry: one ``polyline`` per segment (no line across a series
    break) and the last point, in a ``width`` × ``height`` view box. No styles: CSS colours it."""

    width: int
    height: int
    lines: tuple[str, ...]
    last: tuple[float, float] | None


def sparkline(
    points: Iterable[Mapping[str, Any]], *, width: int = 120, height: int = 32
) -> Sparkline:
    """The geometry of a sparkline for ``points`` (dicts as in :func:`trend_spec`; suppressed
    and empty values left out), spaced by period start and scaled to the values' range."""
    rows = _rows(points, None)
    if not rows:
        return Sparkline(width, height, (), None)
    days = [dt.date.fromisoformat(r["start"]).toordinal() for r in rows]
    values = [r["value"] for r in rows]
    pad = 3.0
    x0, x1 = min(days), max(days)
    y0, y1 = min(values), max(values)

    def xy(day: int, value: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * ((day - x0) / (x1 - x0) if x1 > x0 else 0.5)
        y = height - pad - (height - 2 * pad) * ((value - y0) / (y1 - y0) if y1 > y0 else 0.5)
        return round(x, 1), round(y, 1)

    segments: dict[int, list[str]] = {}
    last = None
    for day, value, row in zip(days, values, rows, strict=True):
        last = xy(day, value)
        segments.setdefault(row["segment"], []).append(f"{last[0]},{last[1]}")
    return Sparkline(width, height, tuple(" ".join(s) for s in segments.values()), last)
