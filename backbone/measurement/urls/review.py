"""Routes of the review pages."""

from django.urls import path

from backbone.measurement.views import review

urlpatterns = [
    path("review/", review.review_queue, name="review_queue"),
]
