"""Routes of the reporting pages."""

from django.urls import path

from backbone.measurement.views import reporting

urlpatterns = [
    path("reporting/", reporting.reporting, name="reporting"),
    path("reporting/<int:submission_pk>/", reporting.report_form, name="report_form"),
    path("reporting/<int:submission_pk>/submit/", reporting.report_submit, name="report_submit"),
    path("reporting/<int:submission_pk>/upload/", reporting.report_upload, name="report_upload"),
    path(
        "reporting/<int:submission_pk>/upload/confirm/",
        reporting.report_upload_confirm,
        name="report_upload_confirm",
    ),
    path(
        "reporting/<int:submission_pk>/template.<slug:fmt>",
        reporting.report_template,
        name="report_template",
    ),
]
