"""Routes of the data quality page."""

from django.urls import path

from backbone.measurement.views import quality

urlpatterns = [
    path("quality/", quality.quality_page, name="quality"),
]
