"""Routes of the results pages."""

from django.urls import path

from backbone.measurement.views import results

urlpatterns = [
    path("results/", results.dashboard, name="dashboard"),
]
