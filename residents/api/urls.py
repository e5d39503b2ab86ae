from django.urls import path

from residents.api import views

app_name = "residents-api"
urlpatterns = [
    path("", views.ResidentList.as_view(), name="list"),
    path("<int:resident_id>/", views.ResidentDetail.as_view(), name="detail"),
    path("<int:resident_id>/reveal/", views.ResidentReveal.as_view(), name="reveal"),
    path("imports/", views.ImportCreate.as_view(), name="import_create"),
    path("imports/<int:import_id>/", views.ImportDetail.as_view(), name="import_detail"),
    path("imports/<int:import_id>/errors/", views.ImportErrors.as_view(), name="import_errors"),
]
