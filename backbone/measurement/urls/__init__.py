"""Shared-measurement pages under ``/i/<slug>/``; each area keeps its routes in its own module."""

from backbone.measurement.urls import library, quality, reporting, results, review

app_name = "measurement"

urlpatterns = [
    *results.urlpatterns,
    *library.urlpatterns,
    *reporting.urlpatterns,
    *review.urlpatterns,
    *quality.urlpatterns,
]
