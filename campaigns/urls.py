from django.urls import path

from campaigns.views import field, manage

app_name = "campaigns"
urlpatterns = [
    path("", manage.campaign_list, name="list"),
    path("new/", manage.campaign_create, name="create"),
    path("<int:pk>/", manage.campaign_detail, name="detail"),
    path("<int:pk>/form/", manage.campaign_form_edit, name="form_edit"),
    path("<int:pk>/<str:action>/", manage.campaign_action, name="action"),
    path("<int:pk>/not-done", manage.not_done, name="not_done"),
    path("<int:pk>/map", manage.progress_map, name="map"),
    path("<int:pk>/map.json", manage.progress_map_data, name="map_data"),
    path("<int:pk>/ledger.xlsx", manage.export, name="export"),
    path("<int:pk>/targets", field.my_targets, name="my_targets"),
    path("targets/<int:pk>/", field.target_page, name="target"),
    path("targets/<int:pk>/event", field.target_event, name="target_event"),
    path("targets/<int:pk>/reassign", field.target_reassign_view, name="reassign"),
]
