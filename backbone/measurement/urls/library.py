"""Routes of the library pages."""

from django.urls import path

from backbone.measurement.views import library

urlpatterns = [
    path("library/", library.library, name="library"),
]
