"""Routes of the library pages."""

from django.urls import path

from backbone.measurement.views import library as v

urlpatterns = [
    path("library/", v.library, name="library"),
    path("library/indicators/new/", v.indicator_create, name="library_indicator_create"),
    path("library/indicators/<slug:code>/", v.indicator_edit, name="library_indicator_edit"),
    path("library/dimensions/new/", v.dimension_create, name="library_dimension_create"),
    path("library/dimensions/<int:pk>/", v.dimension_edit, name="library_dimension_edit"),
    path("library/places/new/", v.place_create, name="library_place_create"),
    path("library/places/<int:pk>/", v.place_edit, name="library_place_edit"),
    path("library/goals/new/", v.goal_create, name="library_goal_create"),
    path("library/goals/<int:pk>/", v.goal_edit, name="library_goal_edit"),
    path("library/goals/<int:pk>/move/", v.goal_move, name="library_goal_move"),
    path("library/outcomes/new/", v.outcome_create, name="library_outcome_create"),
    path("library/outcomes/<int:pk>/", v.outcome_edit, name="library_outcome_edit"),
    path("library/outcomes/<int:pk>/move/", v.outcome_move, name="library_outcome_move"),
]
