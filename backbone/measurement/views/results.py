"""The results pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from backbone.core.permissions import Action
from backbone.measurement.views.common import initiative_for, render_page


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_INITIATIVE)
    return render_page(request, "measurement/placeholder.html", {"initiative": initiative})
