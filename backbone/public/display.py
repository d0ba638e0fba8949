"""Figures in words for the public pages: numbers in the reader's locale with their unit, and
change since the baseline as a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from backbone.analytics.progress import Progress
from backbone.measurement.charts import format_number, format_value, trend_spec
from backbone.measurement.models import Indicator, Target, Unit
from backbone.public.selectors import Figure, Group, PublicTable, Row, public_progress


def number_text(indicator: Indicator, value: Decimal) -> str:
    """``11386`` → "11,386"; a percent "45.3%"; a rate "12.5 per 1,000" (the same rounding and
    wording as every other page: ``charts.format_value``)."""
    return format_value(
        value, unit=indicator.unit, decimals=indicator.decimals, rate_base=indicator.rate_base
    )


def figure_text(indicator: Indicator, figure: Figure | None) -> str:
    """A cell's text: the number, "Suppressed", or "No data"."""
    if figure is None or (figure.value is None and not figure.suppressed):
        return _("No data")
    if figure.suppressed:
        return _("Suppressed")
    return number_text(indicator, figure.value)  # type: ignore[arg-type]


def _amount(indicator: Indicator, change: Decimal) -> str:
    size = abs(change)
    if indicator.unit == Unit.PERCENT:
        shown = format_number(size, indicator.decimals)
        return _("%(number)s percentage points") % {"number": shown}
    return number_text(indicator, size)


def change_text(indicator: Indicator, progress: Progress | None) -> str:
    """Change since the baseline in one plain sentence, e.g. "From 10,345 in 2019 to 11,386 in
    2023: up 1,041 (10.1%).", or why there is none."""
    if progress is None or progress.latest is None:
        return _("No public figures yet.")
    if progress.absolute_change is None or progress.baseline is None:
        return progress.reason
    parts = {
        "baseline": number_text(indicator, progress.baseline),
        "baseline_period": progress.baseline_period,
        "latest": number_text(indicator, progress.latest),
        "latest_period": progress.latest_period,
        "amount": _amount(indicator, progress.absolute_change),
    }
    if progress.baseline_period == progress.latest_period:
        return _("Baseline %(baseline)s in %(baseline_period)s; no later figure yet.") % parts
    if progress.absolute_change == 0:
        return _("%(latest)s in %(latest_period)s: the same as in %(baseline_period)s.") % parts
    if progress.absolute_change > 0:
        text = _(
            "From %(baseline)s in %(baseline_period)s to %(latest)s in %(latest_period)s: "
            "up %(amount)s"
        )
    else:
        text = _(
            "From %(baseline)s in %(baseline_period)s to %(latest)s in %(latest_period)s: "
            "down %(amount)s"
        )
    text %= parts
    if progress.relative_change is not None and indicator.unit != Unit.PERCENT:
        percent = format_number(abs(progress.relative_change), 1)
        text += " " + _("(%(percent)s%%)") % {"percent": percent}
    return text + "."


@dataclass(frozen=True)
class Card:
    """What the dashboard says about one indicator."""

    indicator: Indicator
    latest: Row | None
    latest_text: str
    suppressed: bool
    change: str
    verdict: str  # better or worse, or why it is not judged
    progress: Progress | None


def card(indicator: Indicator, table: PublicTable | None) -> Card:
    latest = table.latest if table is not None else None
    figure = latest.figures.get("") if latest is not None else None
    progress = public_progress(table) if table is not None else None
    verdict = (
        progress.reason if progress is not None and progress.absolute_change is not None else ""
    )
    return Card(
        indicator=indicator,
        latest=latest,
        latest_text=figure_text(indicator, figure),
        suppressed=bool(figure and figure.suppressed),
        change=change_text(indicator, progress),
        verdict=verdict,
        progress=progress,
    )


# --- The indicator page's tables and charts ---------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    suppressed: bool


@dataclass(frozen=True)
class ShownRow:
    row: Row
    cells: list[Cell]


@dataclass(frozen=True)
class ShownTable:
    """One table of the indicator page and the chart drawn from the same figures."""

    id: str  # for the chart's and the caption's element ids
    heading: str
    caption: str
    groups: list[Group]
    rows: list[ShownRow]
    chart: dict
    has_suppressed: bool

    @property
    def chart_id(self) -> str:
        return f"chart-{self.id}"


def target_lines(indicator: Indicator, targets: list[Target]) -> list[tuple[str, str, str]]:
    """Each target as (period, value in words, note)."""
    return [(t.period.code, number_text(indicator, t.value), t.note) for t in targets]


def _points(table: PublicTable, groups: list[Group]) -> list[dict]:
    """The chart's points: shown figures only. A hidden figure never reaches the chart."""
    return [
        {
            "period": row.period.code,
            "start": row.period.start,
            "value": figure.value if not figure.suppressed else None,
            "segment": row.segment,
            "group": group.name,
        }
        for row in table.rows
        for group in groups
        if (figure := row.figures.get(group.key)) is not None and not figure.suppressed
    ]


def shown_tables(
    table: PublicTable, *, progress: Progress | None, targets: list[Target]
) -> list[ShownTable]:
    """Everyone's trend first (with baseline, targets and notes on the chart), then one table and
    chart per dimension the indicator is split by."""
    indicator, place = table.indicator, table.place
    notes = [
        {"start": row.period.start, "text": text} for row in table.rows for text in row.annotations
    ]
    span = ""
    if table.rows:
        span = _("%(first)s to %(last)s") % {
            "first": table.rows[0].period.code,
            "last": table.rows[-1].period.code,
        }
    y_title = str(indicator.get_unit_display())
    baseline = None
    if progress is not None and progress.baseline is not None:
        baseline = {
            "value": progress.baseline,
            "label": _("Baseline %(period)s: %(value)s")
            % {
                "period": progress.baseline_period,
                "value": number_text(indicator, progress.baseline),
            },
        }
    target_marks = [
        {
            "value": t.value,
            "label": _("Target %(period)s: %(value)s")
            % {"period": t.period.code, "value": number_text(indicator, t.value)},
        }
        for t in targets
    ]

    def shown(groups: list[Group]) -> tuple[list[ShownRow], bool]:
        rows, hidden = [], False
        for row in table.rows:
            cells = []
            for group in groups:
                figure = row.figures.get(group.key)
                cells.append(
                    Cell(figure_text(indicator, figure), bool(figure and figure.suppressed))
                )
                hidden = hidden or bool(figure and figure.suppressed)
            rows.append(ShownRow(row, cells))
        return rows, hidden

    everyone = table.groups_of(None)
    rows, hidden = shown(everyone)
    result = [
        ShownTable(
            id="everyone",
            heading=_("Trend"),
            caption=_("%(name)s in %(place)s, every period")
            % {"name": indicator.name, "place": place.name},
            groups=everyone,
            rows=rows,
            chart=trend_spec(
                points=_points(table, everyone),
                title=indicator.name,
                description=_(
                    "Line chart of %(name)s in %(place)s, %(span)s. The same figures are in the "
                    "table below."
                )
                % {"name": indicator.name, "place": place.name, "span": span},
                y_title=y_title,
                baseline=baseline,
                targets=target_marks,
                annotations=notes,
            ),
            has_suppressed=hidden,
        )
    ]
    for dimension in table.dimensions:
        groups = table.groups_of(dimension)
        parts = [g for g in groups if g.dimension is not None]
        rows, hidden = shown(groups)
        result.append(
            ShownTable(
                id=f"by-{dimension.code}",
                heading=_("By %(dimension)s") % {"dimension": dimension.name.lower()},
                caption=_("%(name)s in %(place)s by %(dimension)s, every period")
                % {
                    "name": indicator.name,
                    "place": place.name,
                    "dimension": dimension.name.lower(),
                },
                groups=groups,
                rows=rows,
                chart=trend_spec(
                    points=_points(table, parts),
                    title=_("%(name)s by %(dimension)s")
                    % {"name": indicator.name, "dimension": dimension.name.lower()},
                    description=_(
                        "Line chart of %(name)s in %(place)s, %(span)s, one line per group of "
                        "%(dimension)s. Suppressed figures are left out. The same figures are in "
                        "the table below."
                    )
                    % {
                        "name": indicator.name,
                        "place": place.name,
                        "span": span,
                        "dimension": dimension.name.lower(),
                    },
                    y_title=y_title,
                    group_field="group",
                    group_title=dimension.name,
                ),
                has_suppressed=hidden,
            )
        )
    return result
