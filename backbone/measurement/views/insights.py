"""Learning pages: equity gaps between groups, and partners beside their peers.

Built from the same published figures as the indicator page (``measurement.insights``); each
chart has a table with the same figures next to it.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from backbone.core.permissions import Action
from backbone.measurement import charts, insights, selectors
from backbone.measurement.models import Indicator, Level
from backbone.measurement.publishing import suppresses_for
from backbone.measurement.views.common import (
    axis_format,
    axis_title,
    fmt_value,
    indicator_for,
    initiative_for,
    render_page,
)
from backbone.measurement.views.results import ResultsFilter

# --- Equity ----------------------------------------------------------------------------------


def trend_labels() -> dict[str, str]:
    """The gap trend's status in words."""
    return {
        "closing": _("Closing"),
        "widening": _("Widening"),
        "stable": _("Stable"),
        "reversed": _("Reversed"),
        "unknown": _("Cannot tell"),
    }


class EquityFilter(ResultsFilter):
    """The results filter with the dimension required (there is no equity view of a total)."""

    def __init__(self, data, **kwargs) -> None:
        super().__init__(data, **kwargs)
        field = self.fields["by"]
        field.required = True
        field.label = _("Compare the groups of")
        field.choices = [c for c in field.choices if c[0]]
        field.initial = field.choices[0][0] if field.choices else None


def _equity_filters(request: HttpRequest, indicator: Indicator) -> EquityFilter:
    dimensions = list(indicator.dimensions.order_by("name"))
    if not dimensions:
        raise Http404
    data = request.GET.copy() if request.GET else None
    if data is not None and not data.get("by"):
        data["by"] = dimensions[0].code
    return EquityFilter(
        data,
        places=selectors.place_tree(indicator.initiative, [indicator]),
        periods=selectors.periods_with_data([indicator]),
        dimensions=dimensions,
    )


def equity_page(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """Are the gaps between groups closing? Each group beside a reference group."""
    initiative = initiative_for(request, slug, Action.VIEW_INITIATIVE)
    indicator = indicator_for(request, initiative, code)
    form = _equity_filters(request, indicator)
    filters = form.chosen() if form.is_bound else None
    dimension = (filters.by if filters else None) or indicator.dimensions.order_by("name").first()
    place = (filters.place if filters else None) or selectors.default_place(indicator)
    context: dict = {
        "initiative": initiative,
        "indicator": indicator,
        "form": form,
        "place": place,
        "dimension": dimension,
        "public": suppresses_for(request.user, initiative),
    }
    if place is not None:
        periods = [
            p
            for p in selectors.periods_with_data([indicator])
            if filters is None or filters.includes(p)
        ]
        view = insights.equity_view(
            request.user,
            indicator,
            place,
            dimension,
            periods=periods,
            threshold=Decimal(initiative.needle_threshold),
        )
        context.update(equity=view, **_equity_display(indicator, place, view))
    return render_page(request, "measurement/insights/equity.html", context, form=form)


def _equity_display(indicator: Indicator, place, view: insights.EquityView) -> dict:
    """Rows and the chart of the equity page, every figure in words."""
    if view.table is None:
        return {}
    gap_rows = []
    for gap in view.table.gaps:
        trend = view.trends.get(gap.key)
        gap_rows.append(
            {
                "gap": gap,
                "value": _("hidden (small number)")
                if gap.suppressed
                else fmt_value(indicator, gap.value),
                "difference": ""
                if gap.difference is None or gap.is_reference
                else charts.format_change(
                    gap.difference,
                    unit=indicator.unit,
                    decimals=indicator.decimals,
                    rate_base=indicator.rate_base,
                ),
                "ratio": ""
                if gap.ratio is None or gap.is_reference
                else charts.format_number(gap.ratio, 2),
                "trend": trend,
                "trend_label": trend_labels().get(trend.status, "") if trend else "",
            }
        )
    over_time = []
    for period in view.periods:
        cells = []
        for group in view.groups:
            shown = group.points.get(period.code)
            if shown is None:
                cells.append(_("no figure"))
            elif shown.suppressed:
                cells.append(_("hidden (small number)"))
            else:
                cells.append(fmt_value(indicator, shown.point.aggregate.value) or _("no figure"))
        over_time.append((period, cells))
    plotted = [
        {
            "period": period.code,
            "start": period.start,
            "value": None
            if shown.suppressed
            else charts.rounded(shown.point.aggregate.value, indicator.decimals),
            "segment": shown.point.segment,
            "group": group.label,
        }
        for group in view.groups
        for period in view.periods
        if (shown := group.points.get(period.code)) is not None
    ]
    spec = charts.trend_spec(
        points=plotted,
        title=_("%(name)s by %(dimension)s, %(place)s")
        % {"name": indicator.name, "dimension": view.dimension.name, "place": place.name},
        description=_(
            "Line chart of %(name)s in %(place)s, one line per group of %(dimension)s. Hidden "
            "figures are left out. The same figures are in the table below the chart."
        )
        % {"name": indicator.name, "place": place.name, "dimension": view.dimension.name},
        y_title=axis_title(indicator),
        group_field="group",
        group_title=view.dimension.name,
        y_format=axis_format(indicator),
    )
    tracks = [
        {
            "track": t,
            "latest": fmt_value(indicator, t.latest),
            "target": fmt_value(indicator, t.target),
        }
        for t in view.tracks
    ]
    return {
        "gap_rows": gap_rows,
        "over_time": over_time,
        "equity_spec": spec,
        "track_rows": tracks,
        "trend_rule": next((t.rule for t in view.trends.values()), ""),
    }


# --- Peers -----------------------------------------------------------------------------------


@login_required
def peers_page(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """How do we compare with our peers? Performance measures reported by several partners."""
    initiative = initiative_for(request, slug, Action.VIEW_PRIVATE)
    indicator = indicator_for(request, initiative, code)
    if indicator.level != Level.PERFORMANCE:
        raise Http404
    view = insights.peers_view(request.user, indicator)
    rows = []
    for summary in view.summaries:
        rows.append(
            {
                "summary": summary,
                "median": fmt_value(indicator, summary.median),
                "q1": fmt_value(indicator, summary.q1),
                "q3": fmt_value(indicator, summary.q3),
                "low": fmt_value(indicator, summary.low),
                "high": fmt_value(indicator, summary.high),
                "standings": [
                    {
                        "standing": s,
                        "value": _("hidden (small number)")
                        if s.suppressed
                        else fmt_value(indicator, s.value) or _("no figure"),
                        "from_median": ""
                        if s.from_median is None
                        else charts.format_change(
                            s.from_median,
                            unit=indicator.unit,
                            decimals=indicator.decimals,
                            rate_base=indicator.rate_base,
                        ),
                    }
                    for s in summary.standings
                ],
            }
        )
    plotted = []
    starts = {p.code: p.start for p in selectors.periods_with_data([indicator])}
    for summary in view.summaries:
        start = starts.get(summary.label)
        if start is None:
            continue
        lines = [
            (_("Peer median"), summary.median),
            (_("25th percentile"), summary.q1),
            (_("75th percentile"), summary.q3),
        ]
        lines += [(s.label, s.value) for s in summary.standings if s.is_viewer and not s.suppressed]
        plotted += [
            {
                "period": summary.label,
                "start": start,
                "value": charts.rounded(value, indicator.decimals),
                "group": label,
            }
            for label, value in lines
            if value is not None
        ]
    spec = charts.trend_spec(
        points=plotted,
        title=_("%(name)s: partners beside their peers") % {"name": indicator.name},
        description=_(
            "Line chart of the peer median and quartiles of %(name)s by period, with your "
            "organization's figures. Every partner's figures are in the table below the chart."
        )
        % {"name": indicator.name},
        y_title=axis_title(indicator),
        group_field="group",
        group_title=_("Line"),
        y_format=axis_format(indicator),
    )
    context = {
        "initiative": initiative,
        "indicator": indicator,
        "peers": view,
        "rows": list(reversed(rows)),
        "peers_spec": spec,
        "method": insights.peers_method(request.user, indicator),
    }
    return render_page(request, "measurement/insights/peers.html", context)
