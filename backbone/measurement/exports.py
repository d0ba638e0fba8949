"""Exports: an initiative's figures as CSV, XLSX or JSON, for spreadsheets and other tools.

Two kinds:

* **raw** — one row per reported value, in the tidy format (``measurement.tidy``), so that an
  exported CSV can be imported again unchanged: the import reads the same column names and reads
  past the export-only ones (names, ``status``, ``annotations``…).
* **aggregated** — each indicator's series per place (and per group of one dimension), combined
  with the indicator's rule and rolled up the place hierarchy (``selectors.series``).

What a person sees is what they may see: private indicators only for people who take part in the
initiative, approved values only for everyone else, and for everyone else small numbers hidden
(``analytics.suppression``: primary and complementary suppression). Every row carries the
annotations (caveats, definition changes) that apply to it.

Text cells that a spreadsheet would run as a formula are neutralised (:func:`neutralise`); numbers
stay numbers. All writers stream: rows are read from the database in chunks and written one by one.
The writers live in ``measurement.writers`` and are re-exported here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import BinaryIO, TextIO

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from backbone.core import permissions, tenancy
from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import Action, AnyUser
from backbone.measurement.models import (
    Annotation,
    Dimension,
    Indicator,
    IndicatorRevision,
    Observation,
    ObservationStatus,
    Period,
    Place,
)
from backbone.measurement.publishing import (
    breakdown_members,
    hidden_breakdowns,
    published_series,
    suppresses_for,
)
from backbone.measurement.tidy import EXPORT_COLUMNS
from backbone.measurement.writers import (  # noqa: F401 - re-exported for existing callers
    SEPARATOR,
    neutralise,
    plain_number,
    write_csv,
    write_json,
    write_xlsx,
)

FORMATS = ("csv", "xlsx", "json")
RAW_TAIL = ("status", "note", "annotations", "definition_version")
SERIES_COLUMNS = (
    "period",
    "breakdown",
    "value",
    "numerator",
    "denominator",
    "reports",
    "suppressed",
    "annotations",
)
_FIGURES = ("value", "numerator", "denominator", "margin_of_error", "ci_low", "ci_high")
_PLACES = Decimal("0.000001")  # figures are stored with six decimals; computed ones match

Row = dict[str, object]


class NotFound(DomainError):
    """A code names nothing the user may see; the message lists what there is."""


# --- What the user may see ------------------------------------------------------------------


def is_public(user: AnyUser, initiative: Initiative) -> bool:
    """True when ``user`` sees public output only: small numbers hidden, approved values only."""
    return suppresses_for(user, initiative)


def visible_indicators(user: AnyUser, initiative: Initiative) -> list[Indicator]:
    """The initiative's indicators ``user`` may see, by code (none if the initiative is hidden)."""
    pool = Indicator.objects.filter(initiative=initiative).select_related("initiative")
    return [i for i in pool.order_by("code") if permissions.can(user, Action.VIEW_INDICATOR, i)]


def _listing(codes: Sequence[str], n: int = 20) -> str:
    if not codes:
        return _("(none)")
    shown = ", ".join(codes[:n])
    return shown + (_(" and %(n)s more") % {"n": len(codes) - n} if len(codes) > n else "")


def find_initiative(user: AnyUser, slug: str) -> Initiative:
    """The initiative ``slug`` if ``user`` may see it, else :class:`NotFound`."""
    found = tenancy.visible_initiatives(user).filter(slug=slug).first()
    if found is None:
        slugs = list(
            tenancy.visible_initiatives(user).order_by("slug").values_list("slug", flat=True)
        )
        raise NotFound(
            _("There is no initiative “%(c)s”. Initiatives: %(list)s.")
            % {"c": slug, "list": _listing(slugs)}
        )
    return found


def find_indicator(user: AnyUser, initiative: Initiative, code: str) -> Indicator:
    """The indicator ``code`` if ``user`` may see it (a private one is "not found" to others)."""
    indicators = visible_indicators(user, initiative)
    for indicator in indicators:
        if indicator.code.lower() == code.strip().lower():
            return indicator
    raise NotFound(
        _("There is no indicator “%(c)s” in %(i)s. Indicators: %(list)s.")
        % {"c": code, "i": initiative.slug, "list": _listing([i.code for i in indicators])}
    )


def find_place(initiative: Initiative, code: str) -> Place:
    """The place ``code`` of the initiative (codes are matched without regard to case)."""
    found = Place.objects.filter(initiative=initiative, code__iexact=code.strip()).first()
    if found is None:
        codes = list(Place.objects.filter(initiative=initiative).values_list("code", flat=True))
        raise NotFound(
            _("There is no place “%(c)s” in %(i)s. Places: %(list)s.")
            % {"c": code, "i": initiative.slug, "list": _listing(sorted(codes))}
        )
    return found


def find_dimension(initiative: Initiative, code: str) -> Dimension:
    """The dimension ``code`` of the initiative (``shelter``, ``race``…)."""
    found = Dimension.objects.filter(initiative=initiative, code__iexact=code.strip()).first()
    if found is None:
        codes = list(Dimension.objects.filter(initiative=initiative).values_list("code", flat=True))
        raise NotFound(
            _("There is no dimension “%(c)s” in %(i)s. Dimensions: %(list)s.")
            % {"c": code, "i": initiative.slug, "list": _listing(sorted(codes))}
        )
    return found


# --- Small numbers --------------------------------------------------------------------------


# --- Raw rows -------------------------------------------------------------------------------


def raw_columns(initiative: Initiative, *, public: bool = False) -> tuple[str, ...]:
    """The tidy columns, one per dimension (by code), then the export-only ones. A public
    export adds ``suppressed`` and leaves out partners' free-text notes (internal working
    notes, which may name people)."""
    dims = Dimension.objects.filter(initiative=initiative).order_by("code")
    tail = (*[c for c in RAW_TAIL if c != "note"], "suppressed") if public else RAW_TAIL
    return (*EXPORT_COLUMNS, *dims.values_list("code", flat=True), *tail)


def _ancestry(initiative: Initiative) -> dict[int, frozenset[int]]:
    """Each place's id → the ids of itself and every place above it."""
    parent = dict(Place.objects.filter(initiative=initiative).values_list("pk", "parent_id"))
    lines: dict[int, frozenset[int]] = {}
    for pk in parent:
        line, current = [], pk
        while current is not None and current not in line:
            line.append(current)
            current = parent.get(current)
        lines[pk] = frozenset(line)
    return lines


def _below(initiative: Initiative, place: Place) -> set[int]:
    return {pk for pk, line in _ancestry(initiative).items() if place.pk in line}


class _Versions:
    """The definition version an indicator had at a period: revisions take effect at their
    period; before the first one, values were measured by the version before it."""

    def __init__(self, indicators: Sequence[Indicator]) -> None:
        self.current = {i.pk: i.definition_version for i in indicators}
        self.revisions: dict[int, list[tuple[object, int]]] = defaultdict(list)
        revisions = IndicatorRevision.objects.filter(indicator__in=indicators).select_related(
            "effective_period"
        )
        for r in revisions.order_by("effective_period__start", "definition_version"):
            self.revisions[r.indicator_id].append((r.effective_period.start, r.definition_version))

    def at(self, indicator_id: int, period: Period) -> int:
        found = self.revisions.get(indicator_id)
        if not found:
            return self.current[indicator_id]
        version = min(v for _start, v in found) - 1
        for start, v in found:
            if start <= period.start:
                version = max(version, v)
        return max(version, 1)


def raw_rows(
    user: AnyUser,
    initiative: Initiative,
    *,
    indicators: Iterable[Indicator] | None = None,
    statuses: Sequence[str] = (ObservationStatus.APPROVED,),
    place: Place | None = None,
) -> Iterator[Row]:
    """Every reported value ``user`` may see, one dict per row keyed by :func:`raw_columns`.

    Only indicators ``user`` may see (``indicators`` narrows them), only ``statuses`` (people who
    do not take part see approved values only), only ``place`` and the places below it if given.
    ``annotations`` is a tuple of the texts on that indicator × period for all places, this
    place or a place above it. For people who do not take part small numbers are hidden: their
    figures are left empty and ``suppressed`` is true.
    """
    permissions.require(user, Action.VIEW_INITIATIVE, initiative)
    public = is_public(user, initiative)
    visible = visible_indicators(user, initiative)
    if indicators is not None:
        wanted = {i.pk for i in indicators}
        visible = [i for i in visible if i.pk in wanted]
    if public:
        statuses = tuple(s for s in statuses if s == ObservationStatus.APPROVED)
    return _raw(initiative, visible, tuple(statuses), place, public)


def _raw(
    initiative: Initiative,
    indicators: list[Indicator],
    statuses: tuple[str, ...],
    place: Place | None,
    public: bool,
) -> Iterator[Row]:
    dims = list(Dimension.objects.filter(initiative=initiative).values_list("code", flat=True))
    ancestry = _ancestry(initiative)
    notes: dict[tuple[int, int], list[tuple[int | None, str]]] = defaultdict(list)
    for indicator_id, period_id, place_id, text in Annotation.objects.filter(
        indicator__in=indicators
    ).values_list("indicator_id", "period_id", "place_id", "text"):
        notes[(indicator_id, period_id)].append((place_id, text))
    versions = _Versions(indicators)
    queryset: QuerySet[Observation] = Observation.objects.filter(
        indicator__in=indicators, status__in=statuses
    )
    if place is not None:
        queryset = queryset.filter(place_id__in=_below(initiative, place))
    queryset = queryset.select_related(
        "indicator", "place", "period", "breakdown", "organization"
    ).order_by(
        "indicator__code", "place__code", "period__start", "organization_id", "breakdown__key"
    )

    def row(obs: Observation) -> Row:
        line = ancestry.get(obs.place_id, frozenset({obs.place_id}))
        texts: list[str] = []
        for place_id, text in notes.get((obs.indicator_id, obs.period_id), ()):
            if (place_id is None or place_id in line) and text not in texts:
                texts.append(text)
        org = obs.organization
        members = breakdown_members(obs.breakdown.key)
        out: Row = {
            "indicator": obs.indicator.code,
            "indicator_name": obs.indicator.name,
            "place": obs.place.code,
            "place_name": obs.place.name,
            "period": obs.period.code,
            **{name: getattr(obs, name) for name in _FIGURES},
            "quality": obs.quality,
            "organization": (org.external_code or org.name) if org else "",
            **{dim: members.get(dim, "") for dim in dims},
            "status": obs.status,
            "note": obs.note,
            "annotations": tuple(texts),
            "definition_version": versions.at(obs.indicator_id, obs.period),
        }
        return out

    if not public:
        for obs in queryset.iterator(chunk_size=2000):
            yield row(obs)
        return
    # The public's figures are hidden table by table: one indicator × place × period ×
    # organization, which the ordering above keeps together.
    group: list[Observation] = []
    for obs in queryset.iterator(chunk_size=2000):
        if group and _table(group[0]) != _table(obs):
            yield from _suppressed(group, row, initiative.suppression_threshold)
            group = []
        group.append(obs)
    if group:
        yield from _suppressed(group, row, initiative.suppression_threshold)


def _table(obs: Observation) -> tuple[int, int, int, int | None]:
    return (obs.indicator_id, obs.place_id, obs.period_id, obs.organization_id)


def _suppressed(
    group: list[Observation], row: Callable[[Observation], Row], threshold: int
) -> Iterator[Row]:
    indicator = group[0].indicator
    figures = {o.breakdown.key: (o.value, o.denominator) for o in group}
    hidden = hidden_breakdowns(indicator, figures, threshold)
    for obs in group:
        out = row(obs)
        out["suppressed"] = obs.breakdown.key in hidden
        if out["suppressed"]:
            out.update(dict.fromkeys(_FIGURES))
        yield out


# --- Aggregated rows ------------------------------------------------------------------------


def aggregate_columns(by: Dimension | None = None) -> tuple[str, ...]:
    """The columns of an aggregated export: the series key, the ``by`` dimension if any, the
    combined figures, how many reports went in, whether the figures are hidden, the notes."""
    return (
        "indicator",
        "indicator_name",
        "place",
        "place_name",
        "period",
        "period_start",
        "period_end",
        *((by.code,) if by is not None else ()),
        "value",
        "numerator",
        "denominator",
        "unit",
        "reports",
        "suppressed",
        "annotations",
    )


def _rounded(number: Decimal | None) -> Decimal | None:
    return None if number is None else number.quantize(_PLACES)


def aggregate_rows(
    user: AnyUser,
    initiative: Initiative,
    *,
    indicator: Indicator | None = None,
    place: Place | None = None,
    by: Dimension | None = None,
) -> Iterator[Row]:
    """The series of every indicator ``user`` may see (or ``indicator``) for every place (or
    ``place``): the total, then each group of ``by`` when the indicator is split by it.

    Each row holds the period, the combined ``value`` (rounded to six decimals), ``numerator``,
    ``denominator``, ``reports`` (how many reported figures were combined), ``breakdown`` (the
    breakdown key, empty for the total), ``suppressed`` and ``annotations`` (a tuple of texts).
    For people who do not take part small numbers are hidden, with complementary suppression
    between the total and its groups; hidden rows keep their key, their figures are empty.
    """
    permissions.require(user, Action.VIEW_INITIATIVE, initiative)
    indicators = visible_indicators(user, initiative)
    if indicator is not None:
        if indicator.pk not in {i.pk for i in indicators}:
            raise PermissionDenied(Action.VIEW_INDICATOR.value)
        indicators = [i for i in indicators if i.pk == indicator.pk]
    return _aggregate(user, initiative, indicators, place, by)


def _aggregate(
    user: AnyUser,
    initiative: Initiative,
    indicators: list[Indicator],
    place: Place | None,
    by: Dimension | None,
) -> Iterator[Row]:
    places = [place] if place is not None else list(Place.objects.filter(initiative=initiative))
    for ind in indicators:
        for where in places:
            for shown in published_series(user, ind, where, by):
                agg, secret = shown.point.aggregate, shown.suppressed
                yield {
                    "indicator": ind.code,
                    "indicator_name": ind.name,
                    "place": where.code,
                    "place_name": where.name,
                    "period": shown.period.code,
                    "period_start": shown.period.start,
                    "period_end": shown.period.end,
                    **({by.code: shown.members.get(by.code, "")} if by is not None else {}),
                    "breakdown": shown.key,
                    "value": None if secret else _rounded(agg.value),
                    "numerator": None if secret else _rounded(agg.numerator),
                    "denominator": None if secret else _rounded(agg.denominator),
                    "unit": ind.unit,
                    "reports": agg.reports,
                    "suppressed": secret,
                    "annotations": shown.point.annotations,
                }


# --- One entry point ------------------------------------------------------------------------


def about_lines(
    user: AnyUser,
    initiative: Initiative,
    *,
    aggregate: bool,
    indicator: Indicator | None = None,
    place: Place | None = None,
    by: Dimension | None = None,
) -> list[tuple[str, str]]:
    """Where the figures come from and which were asked for: the "About" sheet's lines."""
    filters = [
        _("aggregated series") if aggregate else _("reported values, approved only"),
        _("indicator %(c)s") % {"c": indicator.code} if indicator else _("every indicator"),
        _("place %(c)s") % {"c": place.code} if place else _("every place"),
    ]
    if by is not None and aggregate:
        filters.append(_("split by %(d)s") % {"d": by.code})
    if is_public(user, initiative):
        hiding = _(
            "Counts of fewer than %(n)s people are hidden, with one more figure where needed so "
            "that a hidden one cannot be worked out. Hidden figures are empty and marked "
            "“suppressed”."
        ) % {"n": initiative.suppression_threshold}
    else:
        hiding = _(
            "Nothing is hidden: this export is for people who take part in the initiative. "
            "Do not publish it as it is."
        )
    return [
        (_("Source"), _("Backbone: %(n)s (%(s)s)") % {"n": initiative.name, "s": initiative.slug}),
        (_("Exported at"), timezone.now().isoformat(timespec="seconds")),
        (_("Filters"), "; ".join(filters)),
        (_("Small numbers"), hiding),
        (_("Annotations"), _("Notes on the figures are in the column “annotations”, and below.")),
    ]


def export(
    user: AnyUser,
    initiative: Initiative,
    *,
    fmt: str,
    aggregate: bool = False,
    indicator: Indicator | None = None,
    place: Place | None = None,
    by: Dimension | None = None,
    out: TextIO | BinaryIO,
) -> int:
    """Write what ``user`` may see of ``initiative`` to ``out`` as ``fmt`` (csv, json: a text
    stream; xlsx: a binary one); return the number of rows. Raw unless ``aggregate``; ``by``
    splits aggregated series by a dimension (raw rows always carry every dimension)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if aggregate:
        rows = aggregate_rows(user, initiative, indicator=indicator, place=place, by=by)
        columns = aggregate_columns(by)
    else:
        rows = raw_rows(
            user, initiative, indicators=[indicator] if indicator else None, place=place
        )
        columns = raw_columns(initiative, public=is_public(user, initiative))
    if fmt == "xlsx":
        about = about_lines(
            user, initiative, aggregate=aggregate, indicator=indicator, place=place, by=by
        )
        return write_xlsx(rows, columns, out, about=about)  # type: ignore[arg-type]
    if fmt == "json":
        return write_json(rows, columns, out)  # type: ignore[arg-type]
    return write_csv(rows, columns, out)  # type: ignore[arg-type]
