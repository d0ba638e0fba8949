"""Routes of the reporting pages."""

from django.urls import path

from backbone.measurement.views import reporting

urlpatterns = [
    path("reporting/", reporting.reporting, name="reporting"),
]
