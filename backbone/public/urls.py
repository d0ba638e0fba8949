"""The public dashboard: no sign-in, public initiatives and public indicators only."""

from django.urls import path

from backbone.public import views

app_name = "public"

urlpatterns = [
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/data.csv", views.data_csv, name="data_csv"),
    path("<slug:slug>/indicators/<slug:code>/", views.indicator, name="indicator"),
    path("<slug:slug>/indicators/<slug:code>/data.csv", views.indicator_csv, name="indicator_csv"),
]
