from django.urls import path

from patrols import views

app_name = "patrols"
urlpatterns = [
    path("", views.patrol_home, name="home"),
    path("start/", views.patrol_start, name="start"),
    path("rounds/", views.patrol_rounds, name="rounds"),
    path("rounds/<int:round_id>/", views.patrol_round, name="round"),
    path("rounds/key/<str:key>/", views.patrol_round_by_key, name="round_by_key"),
    path("coverage/", views.patrol_coverage, name="coverage"),
    path("coverage/map/", views.patrol_coverage_map, name="coverage_map"),
    path("overdue/", views.patrol_overdue, name="overdue"),
]
