"""What the API shows of figures to people who do not take part: small numbers hidden, by the
one rule in ``measurement.publishing`` (shared with the pages and exports)."""

from __future__ import annotations

from collections.abc import Iterator

from backbone.api.lookups import number_text
from backbone.core.models import Initiative
from backbone.core.permissions import AnyUser
from backbone.measurement.models import Dimension, Indicator, Place
from backbone.measurement.publishing import (  # noqa: F401 - re-exported for the endpoints
    hidden_observations,
    published_series,
    suppresses_for,
)

SERIES_DECIMALS = 6


def series_points(
    user: AnyUser,
    initiative: Initiative,
    indicator: Indicator,
    place: Place,
    by: Dimension | None,
) -> Iterator[dict[str, object]]:
    """The approved series of ``indicator`` at ``place`` (rolled up from the places below it):
    the total, then each group of ``by``, period by period in time order.

    For people who do not take part, each period's total and groups are suppressed together:
    hidden points keep their period and group, their figures are ``None``.
    """
    del initiative  # the indicator knows its initiative
    for shown in published_series(user, indicator, place, by):
        aggregate, secret = shown.point.aggregate, shown.suppressed
        yield {
            "period": shown.period.code,
            "period_start": shown.period.start,
            "period_end": shown.period.end,
            "breakdown": shown.members,
            "value": None if secret else number_text(aggregate.value, SERIES_DECIMALS),
            "numerator": None if secret else number_text(aggregate.numerator, SERIES_DECIMALS),
            "denominator": None if secret else number_text(aggregate.denominator, SERIES_DECIMALS),
            "reports": aggregate.reports,
            "suppressed": secret,
            "annotations": list(shown.point.annotations),
        }
