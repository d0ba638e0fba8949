"""What every shared-measurement page does first: find the initiative (or the indicator) the
person may see, and refuse what they may not do. Objects of an initiative the person cannot see
answer 404, so that a private initiative's existence is not revealed."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from backbone.core.models import Initiative
from backbone.core.permissions import Action, can
from backbone.measurement import charts
from backbone.measurement.models import Indicator


def initiative_for(
    request: HttpRequest, slug: str, action: Action = Action.VIEW_INITIATIVE
) -> Initiative:
    """The initiative, if the user may see it (404 otherwise) and may do ``action`` (403)."""
    initiative = get_object_or_404(Initiative, slug=slug)
    if not can(request.user, Action.VIEW_INITIATIVE, initiative):
        raise Http404
    if not can(request.user, action, initiative):
        raise PermissionDenied
    return initiative


def indicator_for(request: HttpRequest, initiative: Initiative, code: str) -> Indicator:
    """One of the initiative's indicators that the user may see; 404 for a private indicator
    the user may not see, as if it did not exist."""
    indicator = get_object_or_404(Indicator, initiative=initiative, code=code)
    if not can(request.user, Action.VIEW_INDICATOR, indicator):
        raise Http404
    return indicator


def render_page(
    request: HttpRequest, template: str, context: dict, *, form=None, status: int | None = None
) -> HttpResponse:
    """Render an initiative page; a form with errors answers 422 (htmx swaps it, tests see it)."""
    if status is None:
        status = 422 if form is not None and form.errors else 200
    return render(request, template, context, status=status)


def fmt_value(indicator: Indicator, value: Decimal | float | None) -> str:
    """A figure of ``indicator`` in its unit and decimals (empty for ``None``)."""
    return charts.format_value(
        value, unit=indicator.unit, decimals=indicator.decimals, rate_base=indicator.rate_base
    )


def axis_title(indicator: Indicator) -> str:
    """The value axis of the indicator's charts: "Percent", "Rate per 1,000", or its unit."""
    if indicator.unit == "percent":
        return _("Percent")
    if indicator.unit == "rate":
        return _("Rate per %(n)s") % {"n": charts.format_number(indicator.rate_base)}
    return indicator.get_unit_display()


def axis_format(indicator: Indicator) -> str:
    """The d3 number format of the indicator's chart axes and tooltips: its decimals."""
    return f",.{indicator.decimals}f" if indicator.decimals else ",~f"
