"""Shared measurement: indicators, places, dimensions, periods, observations and series.

Reading follows the pages: a public initiative's public indicators for anyone, private ones for
the people who take part, small numbers hidden from everyone else. Writing is the file import's:
the same checks, the same permissions, all or nothing.
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from backbone.api import batch
from backbone.api.auth import READ, WRITE
from backbone.api.lookups import (
    breakdown_members,
    dimension_or_404,
    indicator_or_404,
    initiative_or_404,
    number_text,
    organization_code,
    partnership_or_404,
    place_or_404,
    visible_indicators,
)
from backbone.api.publishing import hidden_observations, series_points, suppresses_for
from backbone.api.schemas import (
    BatchIn,
    DimensionOut,
    ImportReportOut,
    IndicatorOut,
    Message,
    ObservationPage,
    PeriodOut,
    PlaceOut,
    SeriesOut,
    StatusName,
    ValidationMessage,
)
from backbone.core import tenancy
from backbone.core.permissions import Action, can
from backbone.measurement.models import (
    Dimension,
    Indicator,
    Observation,
    ObservationStatus,
    Period,
    Place,
)
from backbone.measurement.periods import PeriodCodeError, parse_period

router = Router(tags=["measurement"], auth=READ)

MAX_LIMIT = 1000
NOT_FOUND = {404: Message}
PeriodTypeName = Literal["year", "quarter", "month", "school_year", "fiscal_year"]


def _indicator(indicator: Indicator) -> dict[str, object]:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "definition": indicator.definition,
        "unit": indicator.unit,
        "rate_base": number_text(indicator.rate_base),
        "decimals": indicator.decimals,
        "direction": indicator.direction,
        "level": indicator.level,
        "performance_kind": indicator.performance_kind,
        "aggregation": indicator.aggregation,
        "numerator_label": indicator.numerator_label,
        "denominator_label": indicator.denominator_label,
        "period_type": indicator.period_type,
        "source": indicator.source,
        "is_public": indicator.is_public,
        "dimensions": sorted(d.code for d in indicator.dimensions.all()),
        "min_value": number_text(indicator.min_value),
        "max_value": number_text(indicator.max_value),
        "definition_version": indicator.definition_version,
    }


@router.get("/initiatives/{slug}/indicators", response={200: list[IndicatorOut], **NOT_FOUND})
def indicator_list(request: HttpRequest, slug: str) -> list[dict[str, object]]:
    """The indicators you may see: public ones, and private ones if you take part."""
    initiative = initiative_or_404(request.auth, slug)
    return [_indicator(i) for i in visible_indicators(request.auth, initiative)]


@router.get("/initiatives/{slug}/indicators/{code}", response={200: IndicatorOut, **NOT_FOUND})
def indicator_detail(request: HttpRequest, slug: str, code: str) -> dict[str, object]:
    """One indicator, by its code. A private one is not found unless you take part."""
    initiative = initiative_or_404(request.auth, slug)
    return _indicator(indicator_or_404(request.auth, initiative, code))


@router.get("/initiatives/{slug}/places", response={200: list[PlaceOut], **NOT_FOUND})
def place_list(request: HttpRequest, slug: str) -> list[dict[str, object]]:
    """The initiative's places, each with the code of the place it lies in."""
    initiative = initiative_or_404(request.auth, slug)
    places = Place.objects.filter(initiative=initiative).select_related("parent").order_by("code")
    return [
        {
            "code": p.code,
            "name": p.name,
            "level": p.level,
            "parent": p.parent.code if p.parent else None,
        }
        for p in places
    ]


@router.get("/initiatives/{slug}/dimensions", response={200: list[DimensionOut], **NOT_FOUND})
def dimension_list(request: HttpRequest, slug: str) -> list[Dimension]:
    """The ways figures are split into groups, each with its groups (members) in order."""
    initiative = initiative_or_404(request.auth, slug)
    return list(Dimension.objects.filter(initiative=initiative).prefetch_related("members"))


@router.get(
    "/initiatives/{slug}/periods",
    response={200: list[PeriodOut], **NOT_FOUND, 422: ValidationMessage},
)
def period_list(
    request: HttpRequest,
    slug: str,
    type: PeriodTypeName | None = None,
    indicator: str | None = None,
) -> list[Period]:
    """The periods that have approved figures for the indicators you may see (or ``indicator``),
    in time order; ``type`` keeps one kind (year, quarter, month, school_year, fiscal_year)."""
    initiative = initiative_or_404(request.auth, slug)
    if indicator:
        ids = [indicator_or_404(request.auth, initiative, indicator).pk]
    else:
        ids = [i.pk for i in visible_indicators(request.auth, initiative)]
    with_data = Observation.objects.filter(
        indicator_id__in=ids, status=ObservationStatus.APPROVED
    ).values("period_id")
    periods = Period.objects.filter(pk__in=with_data)
    if type:
        periods = periods.filter(type=type)
    return list(periods.order_by("start", "end"))


class ObservationFilters(Schema):
    indicator: str | None = Field(None, description="An indicator code.")
    place: str | None = Field(None, description="A place code (that place only).")
    period: str | None = Field(None, description="A period code such as 2023 or 2023Q1.")
    organization: str | None = Field(None, description="A partner's code or name.")
    status: StatusName = Field(
        "approved",
        description="Other than approved: only for the backbone team, and for data stewards "
        "(their own organization's figures).",
    )
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


def _observation(obs: Observation, hidden: bool) -> dict[str, object]:
    figures = ("value", "numerator", "denominator", "margin_of_error", "ci_low", "ci_high")
    return {
        "indicator": obs.indicator.code,
        "place": obs.place.code,
        "period": obs.period.code,
        "breakdown": breakdown_members(obs.breakdown.key),
        "organization": organization_code(obs.organization),
        **{name: None if hidden else number_text(getattr(obs, name)) for name in figures},
        "quality": obs.quality,
        "status": obs.status,
        "version": obs.version,
        "note": obs.note,
        "updated_at": obs.updated_at,
        "suppressed": hidden,
    }


@router.get(
    "/initiatives/{slug}/observations",
    response={200: ObservationPage, 403: Message, **NOT_FOUND, 422: ValidationMessage},
)
def observation_list(
    request: HttpRequest, slug: str, filters: Query[ObservationFilters]
) -> dict[str, object]:
    """Reported figures, one per indicator × place × period × group × organization, oldest
    first, a page at a time (``limit`` at most 1,000; ``count`` says how many match).

    Only figures of indicators you may see; approved ones unless you ask for another ``status``.
    For people who do not take part, figures about too few people are hidden (``suppressed``).
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    observations = Observation.objects.filter(
        indicator_id__in=[i.pk for i in visible_indicators(user, initiative)]
    )
    if filters.indicator:
        observations = observations.filter(
            indicator=indicator_or_404(user, initiative, filters.indicator)
        )
    if filters.place:
        observations = observations.filter(place=place_or_404(initiative, filters.place))
    if filters.period:
        try:
            code = parse_period(filters.period).code
        except PeriodCodeError as exc:
            raise HttpError(422, str(exc)) from exc
        observations = observations.filter(period__code=code)
    if filters.organization:
        partnership = partnership_or_404(initiative, filters.organization)
        observations = observations.filter(organization_id=partnership.organization_id)
    if filters.status != ObservationStatus.APPROVED and not can(
        user, Action.REVIEW_DATA, initiative
    ):
        own = [
            p.organization_id
            for p in tenancy.partnerships_of(initiative)
            if can(user, Action.REPORT_DATA, p)
        ]
        if not own:
            raise HttpError(
                403,
                _(
                    "Only the backbone team and data stewards can see figures that are not "
                    "approved yet."
                ),
            )
        observations = observations.filter(organization_id__in=own)
    observations = observations.filter(status=filters.status)
    page = list(
        observations.select_related(
            "indicator", "place", "period", "breakdown", "organization"
        ).order_by("pk")[filters.offset : filters.offset + filters.limit]
    )
    hidden = hidden_observations(page, initiative) if suppresses_for(user, initiative) else set()
    return {
        "count": observations.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [_observation(o, o.pk in hidden) for o in page],
    }


@router.post(
    "/initiatives/{slug}/observations",
    auth=WRITE,
    response={
        200: ImportReportOut,
        400: Message,
        401: Message,
        **NOT_FOUND,
        413: Message,
        422: ImportReportOut | ValidationMessage,
    },
)
def observation_upsert(
    request: HttpRequest, slug: str, payload: BatchIn
) -> Status[dict[str, object]]:
    """Add or change figures in bulk: each row is a tidy row (as in an import file), matched on
    indicator × place × period × breakdown × organization.

    Everything is checked exactly as a file import is; if any row has an error nothing is saved
    and the answer is 422 with the report. Row numbers in ``problems`` are 1-based positions in
    ``rows``. ``dry_run`` checks and reports without saving. At most 10,000 rows per request.
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    if len(payload.rows) > batch.MAX_ROWS:
        raise HttpError(
            413,
            _("Send at most %(max)s rows per request; this one has %(n)s. Split it up.")
            % {"max": f"{batch.MAX_ROWS:,}", "n": f"{len(payload.rows):,}"},
        )
    if not payload.rows:
        raise HttpError(422, _("There are no rows to save. Send at least one row."))
    token = getattr(request, "api_token", None)
    source = _("the API (token “%(name)s”)") % {"name": token.name} if token else _("the API")
    report = batch.observations_upsert(
        actor=user, initiative=initiative, rows=payload.rows, dry_run=payload.dry_run, source=source
    )
    body = report.as_dict()
    if not report.ok:
        return Status(422, {**body, "detail": report.summary()})
    return Status(200, body)


@router.get(
    "/initiatives/{slug}/series",
    response={200: SeriesOut, **NOT_FOUND, 422: ValidationMessage},
)
def series_detail(
    request: HttpRequest,
    slug: str,
    indicator: str,
    place: str,
    by: str | None = None,
) -> dict[str, object]:
    """An indicator over time at a place, combining approved figures from all partners and from
    the places below it (counts add up; rates are Σ numerators / Σ denominators × rate base).

    The total comes first in each period, then each group of the dimension ``by``. For people who
    do not take part, figures about too few people are hidden together with one more figure, so
    they cannot be worked out by subtraction.
    """
    user = request.auth
    initiative = initiative_or_404(user, slug)
    found = indicator_or_404(user, initiative, indicator)
    where = place_or_404(initiative, place)
    dimension = dimension_or_404(initiative, by) if by else None
    if dimension is not None and not found.dimensions.filter(pk=dimension.pk).exists():
        raise HttpError(
            422,
            _("%(i)s is not split by %(d)s.") % {"i": found.code, "d": dimension.code},
        )
    return {
        "indicator": found.code,
        "place": where.code,
        "by": dimension.code if dimension else None,
        "unit": found.unit,
        "aggregation": found.aggregation,
        "rate_base": number_text(found.rate_base),
        "points": list(series_points(user, initiative, found, where, dimension)),
    }
