from django.urls import path

from grids import views

app_name = "grids"
urlpatterns = [
    path("teams/", views.team_list, name="team_list"),
    path("<int:area_id>/", views.area_detail, name="area_detail"),
]
