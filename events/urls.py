from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("<int:event_id>/", views.event_detail, name="detail"),
    path("<int:event_id>/act/<str:name>/", views.event_act, name="act"),
    path("rate/<str:token>/", views.event_rate, name="rate"),
    path("notifications/", views.notification_list, name="notifications"),
]
