"""The results pages: the initiative's dashboard (every indicator the viewer may see, grouped by
the results framework) and one indicator's page (trend chart, table, story, downloads).

Every figure comes from ``publishing.published_series``: approved figures only, and for people
who do not take part in the initiative small numbers hidden. The chart, the table and the
download of the indicator page are built from the same rows, so they always agree.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from backbone.agenda.selectors import results_framework, timeline
from backbone.core import permissions
from backbone.core.permissions import Action, AnyUser
from backbone.measurement import charts, exports, insights, selectors
from backbone.measurement.models import (
    Aggregation,
    Breakdown,
    Dimension,
    Direction,
    Indicator,
    Level,
    Narrative,
    Period,
    Place,
)
from backbone.measurement.publishing import published_series, suppresses_for
from backbone.measurement.views import sections
from backbone.measurement.views.common import (
    axis_format,
    axis_title,
    fmt_value,
    indicator_for,
    initiative_for,
    render_page,
)

DOWNLOAD_FORMATS = ("csv", "xlsx")

# --- Filters ---------------------------------------------------------------------------------


def _place_label(place: Place, depth: int) -> str:
    name = place.name if place.name == place.code else f"{place.name} ({place.code})"
    return "\u2003" * depth + name


class ResultsFilter(forms.Form):
    """Place and period range (and, on an indicator page, the groups to compare): a GET form."""

    def __init__(
        self,
        data,
        *,
        places: list[tuple[Place, int]],
        periods: list[Period],
        dimensions: Iterable[Dimension] = (),
    ) -> None:
        super().__init__(data)
        self.places = {p.code: p for p, _depth in places}
        self.periods = {p.code: p for p in periods}
        self.dimensions = {d.code: d for d in dimensions}
        self.fields["place"] = forms.ChoiceField(
            label=_("Place"),
            required=False,
            choices=[("", _("Where the initiative works"))]
            + [(p.code, _place_label(p, depth)) for p, depth in places],
        )
        period_choices = [(p.code, p.code) for p in periods]
        self.fields["from"] = forms.ChoiceField(
            label=_("From"), required=False, choices=[("", _("First period")), *period_choices]
        )
        self.fields["to"] = forms.ChoiceField(
            label=_("To"), required=False, choices=[("", _("Latest period")), *period_choices]
        )
        if self.dimensions:
            self.fields["by"] = forms.ChoiceField(
                label=_("Compare groups"),
                required=False,
                choices=[("", _("No, total only"))]
                + [(d.code, d.name) for d in self.dimensions.values()],
            )

    def clean(self):
        data = super().clean()
        start, end = (
            self.periods.get(data.get("from") or ""),
            self.periods.get(data.get("to") or ""),
        )
        if start and end and start.start > end.start:
            raise forms.ValidationError(_("“From” must be the same period as “To” or before it."))
        return data

    def chosen(self) -> Filters:
        """What was asked for; nothing of a form with errors (the defaults are shown)."""
        data = self.cleaned_data if self.is_valid() else {}
        return Filters(
            place=self.places.get(data.get("place") or ""),
            start=self.periods.get(data.get("from") or ""),
            end=self.periods.get(data.get("to") or ""),
            by=self.dimensions.get(data.get("by") or ""),
        )


@dataclass(frozen=True)
class Filters:
    place: Place | None = None
    start: Period | None = None
    end: Period | None = None
    by: Dimension | None = None

    def includes(self, period: Period) -> bool:
        if self.start is not None and period.start < self.start.start:
            return False
        return not (self.end is not None and period.start > self.end.start)


def _total(indicator: Indicator) -> Breakdown | None:
    return Breakdown.objects.filter(initiative_id=indicator.initiative_id, key="").first()


# --- Dashboard -------------------------------------------------------------------------------


@dataclass
class Tile:
    """One indicator on the dashboard, every figure already in words."""

    indicator: Indicator
    place: Place | None = None
    latest: str = ""
    latest_period: str = ""
    change: str = ""
    arrow: str = ""
    verdict: str = ""
    tone: str = "neutral"  # good / bad / neutral: a CSS class, always with ``verdict`` in words
    baseline: str = ""
    baseline_value: Decimal | None = None
    baseline_period: str = ""
    not_comparable: str = ""
    target: str = ""
    target_progress: str = ""
    target_meter: int | None = None
    needle_moving: bool = False
    needle_reason: str = ""
    last_updated: object = None
    last_approved: object = None
    hidden: int = 0
    spark: charts.Sparkline | None = None
    spark_label: str = ""
    signals: str = ""  # the signal-or-noise reading in words, when the chart finds a signal


def _verdict(indicator: Indicator, change: Decimal) -> tuple[str, str, str]:
    """Arrow, word and tone for a change: the arrow says which way the figure went, the word
    whether that is better or worse (so colour never carries the meaning alone)."""
    arrow = "▲" if change > 0 else ("▼" if change < 0 else "▶")
    if indicator.direction == Direction.NEUTRAL:
        return arrow, _("for context: neither better nor worse"), "neutral"
    if change == 0:
        return arrow, _("no change"), "neutral"
    better = (change > 0) == (indicator.direction == Direction.HIGHER_IS_BETTER)
    return arrow, (_("better") if better else _("worse")), ("good" if better else "bad")


def _points(shown: Iterable) -> list[dict]:
    return [
        {
            "period": p.period.code,
            "start": p.period.start,
            "value": p.point.aggregate.value,
            "segment": p.point.segment,
            "suppressed": p.suppressed,
        }
        for p in shown
    ]


def dashboard_tile(
    user: AnyUser, indicator: Indicator, filters: Filters, *, signals: bool = True
) -> Tile:
    """The dashboard tile of ``indicator`` at the chosen place (or its default place); with
    ``signals``, the signal-or-noise reading in words (the indicator page shows the whole
    chart instead)."""
    tile = Tile(indicator=indicator, place=filters.place or selectors.default_place(indicator))
    total = _total(indicator)
    if tile.place is None or total is None:
        return tile
    shown = list(published_series(user, indicator, tile.place))
    tile.hidden = sum(1 for p in shown if p.suppressed and filters.includes(p.period))
    visible = [p for p in shown if not p.suppressed]
    in_range = [p for p in visible if filters.includes(p.period)]
    if not in_range:
        return tile
    baseline = indicator.baseline_period_id
    for_progress = [p.point for p in visible if p in in_range or p.period.pk == baseline]
    result = selectors.progress_for(indicator, tile.place, total, for_progress)
    tile.latest, tile.latest_period = fmt_value(indicator, result.latest), str(result.latest_period)
    tile.needle_moving, tile.needle_reason = result.needle_moving, result.reason
    tile.not_comparable = result.not_comparable_reason or ""
    if result.baseline is not None:
        tile.baseline = fmt_value(indicator, result.baseline)
        tile.baseline_value = result.baseline
        tile.baseline_period = str(result.baseline_period)
    change = result.absolute_change
    if change is not None and result.baseline_period != result.latest_period:
        tile.change = charts.format_change(
            change, unit=indicator.unit, decimals=indicator.decimals, rate_base=indicator.rate_base
        )
        if result.relative_change is not None and indicator.unit != "percent":
            relative = charts.format_change(result.relative_change, unit="", decimals=1)
            tile.change += " (" + _("%(n)s%%") % {"n": relative} + ")"
        tile.arrow, tile.verdict, tile.tone = _verdict(indicator, change)
    targets = selectors.targets_for(indicator, tile.place, [total])
    if targets:
        target = targets[-1]
        tile.target = _("Target for %(period)s: %(value)s") % {
            "period": target.period.code,
            "value": fmt_value(indicator, target.value),
        }
        if result.percent_to_target is not None:
            share = result.percent_to_target
            if share >= 100:
                tile.target_progress = _("Target reached.")
            elif share < 0:
                tile.target_progress = _("Moving away from the target since the baseline.")
            else:
                tile.target_progress = _("%(n)s%% of the way from the baseline to the target.") % {
                    "n": charts.format_number(share)
                }
            tile.target_meter = int(max(0, min(100, share)))
    if signals:
        chart = insights.control_chart(
            user, indicator, [p for p in shown if filters.includes(p.period)]
        )
        if chart.signals:
            tile.signals = chart.summary()
    fresh = selectors.freshness(indicator, tile.place)
    tile.last_updated, tile.last_approved = fresh.last_updated, fresh.last_approved
    tile.spark = charts.sparkline(_points(in_range))
    tile.spark_label = _("Trend of %(name)s from %(first)s to %(last)s") % {
        "name": indicator.name,
        "first": in_range[0].period.code,
        "last": in_range[-1].period.code,
    }
    return tile


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_INITIATIVE)
    visible = exports.visible_indicators(request.user, initiative)
    form = ResultsFilter(
        request.GET or None,
        places=selectors.place_tree(initiative, visible),
        periods=selectors.periods_with_data(visible),
    )
    filters = form.chosen() if form.is_bound else Filters()
    tiles = {i.pk: dashboard_tile(request.user, i, filters) for i in visible}
    framework, loose = results_framework(initiative, visible_indicator_ids=list(tiles))
    query = request.GET.urlencode() if form.is_bound and form.is_valid() else ""
    context = {
        "initiative": initiative,
        "form": form,
        "framework": [
            (
                goal.goal,
                [(o.outcome, [tiles[pk] for pk in o.indicator_ids]) for o in goal.outcomes],
            )
            for goal in framework
        ],
        "loose": [tiles[pk] for pk in loose],
        "rule": selectors.needle_rule(initiative).describe(),
        "public": suppresses_for(request.user, initiative),
        "query": query,
    }
    return render_page(request, "measurement/results/dashboard.html", context, form=form)


# --- Indicator page --------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    value: Decimal | None  # rounded to the indicator's decimals; None when hidden or missing
    text: str
    suppressed: bool = False


@dataclass
class TableRow:
    period: Period
    cells: list[Cell]
    notes: tuple[str, ...]
    breaks_comparability: bool = False
    segment: int = 0
    note_numbers: list[int] = field(default_factory=list)  # places in the page's list of notes


@dataclass
class IndicatorTable:
    """The figures shown on an indicator page: one row per period, one column per group (the
    total first). The chart, the table and the download are all made from these rows."""

    columns: list[tuple[str, str]]  # (breakdown key, label)
    rows: list[TableRow] = field(default_factory=list)

    def points(self) -> list[dict]:
        grouped = len(self.columns) > 1
        return [
            {
                "period": row.period.code,
                "start": row.period.start,
                "value": cell.value,
                "segment": row.segment,
                "group": label if grouped else "",
            }
            for row in self.rows
            for (_key, label), cell in zip(self.columns, row.cells, strict=True)
            if cell.value is not None
        ]


def indicator_table(
    user: AnyUser, indicator: Indicator, place: Place, filters: Filters
) -> IndicatorTable:
    """The rows of ``indicator`` at ``place`` as ``user`` may see them, within the period range,
    split by ``filters.by`` when the indicator has that dimension."""
    by = filters.by
    columns = [("", _("Total"))]
    names: dict[str, str] = {}
    if by is not None:
        names = dict(by.members.values_list("code", "name"))
    by_period: dict[int, dict[str, object]] = {}
    periods: dict[int, Period] = {}
    for shown in published_series(user, indicator, place, by):
        if not filters.includes(shown.period):
            continue
        periods[shown.period.pk] = shown.period
        by_period.setdefault(shown.period.pk, {})[shown.key] = shown
        if shown.key and shown.key not in dict(columns):
            member = shown.members.get(by.code, "") if by else ""
            columns.append((shown.key, names.get(member, member)))
    table = IndicatorTable(columns=columns)
    for pk, found in by_period.items():
        cells, notes, segment, breaks = [], (), 0, False
        for key, _label in columns:
            shown = found.get(key)
            if shown is None:
                cells.append(Cell(None, _("no figure")))
                continue
            point = shown.point
            notes = notes or point.annotations
            segment, breaks = point.segment, breaks or point.breaks_comparability
            if shown.suppressed:
                cells.append(Cell(None, _("hidden (small number)"), suppressed=True))
            elif point.aggregate.value is None:
                cells.append(Cell(None, _("no figure")))
            else:
                value = charts.rounded(point.aggregate.value, indicator.decimals)
                cells.append(Cell(value, fmt_value(indicator, value)))
        table.rows.append(TableRow(periods[pk], cells, notes, breaks, segment))
    return table


def aggregation_words(indicator: Indicator) -> str:
    """How the indicator's figures are combined, in plain words."""
    if indicator.aggregation == Aggregation.RATIO:
        numerator = "“%s”" % (indicator.numerator_label or _("the people counted"))
        denominator = "“%s”" % (indicator.denominator_label or _("everyone who could be counted"))
        return _(
            "Ratio of sums: for a region or the whole initiative, %(num)s are added up across "
            "every partner and place, %(den)s are added up the same way, and the figure is "
            "worked out once from the two totals. Percentages are never averaged, so a large "
            "program weighs more than a small one."
        ) % {"num": numerator, "den": denominator}
    if indicator.aggregation == Aggregation.LATEST:
        return _(
            "Latest value: figures of different places are added up, but over time the most "
            "recent period is shown, not a total of periods."
        )
    return _(
        "Added up: the figure for a larger place is the sum of the figures of the places in it "
        "and of every partner reporting there."
    )


def _chart(indicator: Indicator, place: Place, table: IndicatorTable, baseline, targets) -> dict:
    grouped = len(table.columns) > 1
    notes = [{"start": row.period.start, "text": row.notes[0]} for row in table.rows if row.notes]
    notes += [
        {
            "start": r.effective_period.start,
            "text": _("Definition changed (version %(v)s)") % {"v": r.definition_version},
        }
        for r in indicator.revisions.select_related("effective_period")
    ]
    return charts.trend_spec(
        points=table.points(),
        title=_("%(name)s, %(place)s") % {"name": indicator.name, "place": place.name},
        description=_(
            "Line chart of %(name)s in %(place)s by period. The same figures are in the table "
            "below the chart."
        )
        % {"name": indicator.name, "place": place.name},
        y_title=axis_title(indicator),
        baseline=baseline,
        targets=targets,
        annotations=notes,
        group_field="group" if grouped else None,
        group_title=_("Group"),
        y_format=axis_format(indicator),
    )


def _target_marks(indicator: Indicator, place: Place, table: IndicatorTable) -> list[dict]:
    """The targets of the groups shown, one mark per period and value (groups with the same
    target share one label)."""
    labels = dict(table.columns)
    breakdowns = Breakdown.objects.filter(
        initiative_id=indicator.initiative_id, key__in=list(labels)
    )
    marks: dict[tuple[str, Decimal], list[str]] = {}
    for target in selectors.targets_for(indicator, place, breakdowns):
        marks.setdefault((target.period.code, target.value), []).append(
            labels[target.breakdown.key]
        )
    grouped = len(table.columns) > 1
    return [
        {
            "value": value,
            "label": _("Target for %(period)s%(groups)s: %(value)s")
            % {
                "period": period,
                "groups": f" ({', '.join(groups)})" if grouped else "",
                "value": fmt_value(indicator, value),
            },
        }
        for (period, value), groups in marks.items()
    ]


def _filters_for(request: HttpRequest, indicator: Indicator) -> tuple[ResultsFilter, Filters]:
    form = ResultsFilter(
        request.GET or None,
        places=selectors.place_tree(indicator.initiative, [indicator]),
        periods=selectors.periods_with_data([indicator]),
        dimensions=indicator.dimensions.order_by("name"),
    )
    return form, (form.chosen() if form.is_bound else Filters())


def indicator_detail(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_INITIATIVE)
    indicator = indicator_for(request, initiative, code)
    form, filters = _filters_for(request, indicator)
    place = filters.place or selectors.default_place(indicator)
    context: dict = {
        "initiative": initiative,
        "indicator": indicator,
        "form": form,
        "place": place,
        "how_combined": aggregation_words(indicator),
        "revisions": indicator.revisions.select_related("effective_period"),
        "public": suppresses_for(request.user, initiative),
        "rule": selectors.needle_rule(initiative).describe(),
        "equity_url": reverse("measurement:indicator_equity", args=[initiative.slug, code])
        if indicator.dimensions.exists()
        else "",
        "learning_timeline": timeline(indicator)
        if permissions.may_see_learning(request.user, initiative)
        else None,
        "peers_url": reverse("measurement:indicator_peers", args=[initiative.slug, code])
        if indicator.level == Level.PERFORMANCE
        and permissions.may_compare_peers(request.user, initiative)
        else "",
    }
    if place is not None:
        table = indicator_table(request.user, indicator, place, filters)
        tile = dashboard_tile(
            request.user, indicator, Filters(place, filters.start, filters.end), signals=False
        )
        targets = _target_marks(indicator, place, table)
        baseline = None
        if tile.baseline_value is not None:
            baseline = {
                "value": charts.rounded(tile.baseline_value, indicator.decimals),
                "label": _("Baseline (%(period)s): %(value)s")
                % {"period": tile.baseline_period, "value": tile.baseline},
            }
        notes = list(dict.fromkeys(text for row in table.rows for text in row.notes))
        for row in table.rows:
            row.note_numbers = [notes.index(text) + 1 for text in row.notes]
        everything = list(published_series(request.user, indicator, place))
        total = [shown for shown in everything if filters.includes(shown.period)]
        context.update(sections.signal_section(request.user, indicator, place.name, total))
        # The forecast is fitted on the years before the baseline whatever range is shown.
        context.update(sections.forecast_section(indicator, place.name, everything))
        context.update(
            table=table,
            tile=tile,
            notes=notes,
            targets=targets,
            chart=_chart(indicator, place, table, baseline, targets),
            narratives=Narrative.objects.filter(indicator=indicator)
            .filter(Q(place=place) | Q(place=None))
            .select_related("period"),
            query=request.GET.urlencode() if form.is_bound and form.is_valid() else "",
            download=reverse("measurement:indicator_download", args=[initiative.slug, code]),
        )
    return render_page(request, "measurement/results/indicator.html", context, form=form)


def indicator_download(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """The indicator page's table as CSV or XLSX: same place, groups and period range."""
    initiative = initiative_for(request, slug, Action.VIEW_INITIATIVE)
    indicator = indicator_for(request, initiative, code)
    fmt = request.GET.get("format", "csv")
    if fmt not in DOWNLOAD_FORMATS:
        return HttpResponse(
            _("Unknown download format. Choose csv or xlsx."),
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    form, filters = _filters_for(request, indicator)
    if form.is_bound and not form.is_valid():
        return HttpResponse(
            _("The place or periods asked for are not available for this indicator."),
            status=422,
            content_type="text/plain; charset=utf-8",
        )
    place = filters.place or selectors.default_place(indicator)
    rows: Iterator[dict] = iter(())
    if place is not None:
        rows = (
            row
            for row in exports.aggregate_rows(
                request.user, initiative, indicator=indicator, place=place, by=filters.by
            )
            if _row_in_range(row, filters)
        )
    columns = exports.aggregate_columns(filters.by)
    name = f"{initiative.slug}-{indicator.code}-{place.code if place else 'none'}"
    if fmt == "xlsx":
        about = exports.about_lines(
            request.user,
            initiative,
            aggregate=True,
            indicator=indicator,
            place=place,
            by=filters.by,
        )
        about.append((_("Periods"), _range_words(filters)))
        out = io.BytesIO()
        exports.write_xlsx(rows, columns, out, about=about)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO()
        exports.write_csv(rows, columns, text)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _row_in_range(row: dict, filters: Filters) -> bool:
    start = row["period_start"]
    if filters.start is not None and start < filters.start.start:
        return False
    return not (filters.end is not None and start > filters.end.start)


def _range_words(filters: Filters) -> str:
    return _("%(first)s to %(last)s") % {
        "first": filters.start.code if filters.start else _("the first period"),
        "last": filters.end.code if filters.end else _("the latest period"),
    }
