from django.contrib import admin
from django.urls import include, path

from backbone.core import views as core_views

urlpatterns = [
    path("", include("backbone.core.urls")),
    path("accounts/", include("backbone.core.account_urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
]
