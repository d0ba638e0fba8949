"""Routes of the learning agenda, under ``/i/<slug>/``."""

from django.urls import path

from backbone.agenda import views

app_name = "agenda"

urlpatterns = [
    path("learning/", views.learning, name="learning"),
    path("learning/questions/new/", views.question_create, name="question_create"),
    path("learning/questions/<int:pk>/", views.question_edit, name="question_edit"),
    path("learning/cycles/new/", views.cycle_create, name="cycle_create"),
    path("learning/cycles/<int:pk>/", views.cycle_edit, name="cycle_edit"),
]
