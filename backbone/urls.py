from django.contrib import admin
from django.urls import include, path

from backbone.api.api import api
from backbone.core import views as core_views

urlpatterns = [
    path("", include("backbone.core.urls")),
    path("i/<slug:slug>/", include("backbone.measurement.urls")),
    path("i/<slug:slug>/", include("backbone.agenda.urls")),
    path("public/", include("backbone.public.urls")),
    path("accounts/", include("backbone.core.account_urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]
