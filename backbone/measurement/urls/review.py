"""Routes of the review pages."""

from django.urls import path

from backbone.measurement.views import review

urlpatterns = [
    path("review/", review.review_queue, name="review_queue"),
    path("review/<int:submission_pk>/", review.review_submission, name="review_submission"),
    path("review/<int:submission_pk>/approve/", review.submission_approve, name="review_approve"),
    path("review/<int:submission_pk>/return/", review.submission_return, name="review_return"),
    path("review/rounds/new/", review.round_open, name="review_round_new"),
    path("review/rounds/<int:round_pk>/", review.review_round, name="review_round"),
    path(
        "review/rounds/<int:round_pk>/remind/",
        review.round_send_reminders,
        name="review_round_remind",
    ),
    path(
        "review/observations/<int:observation_pk>/history/",
        review.observation_history,
        name="review_history",
    ),
    path(
        "review/observations/<int:observation_pk>/history/<int:version>/restore/",
        review.observation_restore,
        name="review_restore",
    ),
]
