from django.urls import path

from assessment import views

app_name = "assessment"
urlpatterns = [
    path("", views.rankings, name="rankings"),
    path("unit/<str:kind>/<int:unit_id>/", views.scorecard, name="scorecard"),
    path("unit/<str:kind>/<int:unit_id>/<slug:ratio_code>/<str:part>/", views.counted, name="counted"),
    path("compare/", views.compare, name="compare"),
    path("export.xlsx", views.export, name="export"),
    path("points/", views.points, name="points"),
    path("evaluation/", views.evaluation, name="evaluation"),
    path("problems/", views.problems, name="problems"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("hotspots/task/", views.hotspot_task, name="hotspot_task"),
]
