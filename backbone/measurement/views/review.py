"""The review pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from backbone.core.permissions import Action
from backbone.measurement.views.common import initiative_for, render_page


@login_required
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    return render_page(request, "measurement/placeholder.html", {"initiative": initiative})
