"""Public pages: no sign-in; a public initiative's public indicators only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from backbone.core.models import Initiative


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = get_object_or_404(Initiative, slug=slug, is_public=True)
    return render(request, "measurement/placeholder.html", {"initiative": initiative})
