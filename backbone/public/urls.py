"""The public dashboard: no sign-in, public initiatives and public indicators only."""

from django.urls import path

from backbone.public import views

app_name = "public"

urlpatterns = [
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
