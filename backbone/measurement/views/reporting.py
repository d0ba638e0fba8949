"""The reporting pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from backbone.core.permissions import Action
from backbone.measurement.views.common import initiative_for, render_page


@login_required
def reporting(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.VIEW_PRIVATE)
    return render_page(request, "measurement/placeholder.html", {"initiative": initiative})
