from django.urls import path

from assessment.api import views

app_name = "assessment-api"
urlpatterns = [
    path("ratios/", views.RatioList.as_view(), name="ratios"),
    path("results/", views.ResultList.as_view(), name="results"),
    path("results/<str:kind>/<int:unit_id>/", views.ResultDetail.as_view(), name="result"),
    path("points/", views.PointsRanking.as_view(), name="points"),
    path("problems/", views.Problems.as_view(), name="problems"),
    path("trends/", views.Trends.as_view(), name="trends"),
    path("hotspots/", views.Hotspots.as_view(), name="hotspots"),
    path("evaluations/", views.Evaluations.as_view(), name="evaluations"),
]
