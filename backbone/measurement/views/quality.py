"""The data quality page: what the backbone team should check or chase in the shared data.

Thin: find the initiative (the backbone's only: ``Action.REVIEW_DATA``), read the checks from
``measurement.quality``, render.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from backbone.core.permissions import Action
from backbone.measurement import quality as reads
from backbone.measurement.charts import format_number
from backbone.measurement.views.common import initiative_for, render_page


@login_required
def quality_page(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = initiative_for(request, slug, Action.REVIEW_DATA)
    context = {
        "initiative": initiative,
        "report": reads.quality_report(initiative, today=timezone.localdate()),
        "threshold": format_number(reads.OUTLIER_THRESHOLD, 1),
        "min_points": format_number(reads.OUTLIER_MIN_POINTS),
        "periods": reads.OUTLIER_PERIODS,
    }
    return render_page(request, "measurement/quality/report.html", context)
