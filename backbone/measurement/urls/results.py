"""Routes of the results pages."""

from django.urls import path

from backbone.measurement.views import insights, results

urlpatterns = [
    path("results/", results.dashboard, name="dashboard"),
    path("indicators/<str:code>/", results.indicator_detail, name="indicator_detail"),
    path(
        "indicators/<str:code>/download/",
        results.indicator_download,
        name="indicator_download",
    ),
    path("indicators/<str:code>/equity/", insights.equity_page, name="indicator_equity"),
    path("indicators/<str:code>/peers/", insights.peers_page, name="indicator_peers"),
]
