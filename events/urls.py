from django.urls import path

from events.views import cases, console, filing

app_name = "events"
urlpatterns = [
    path("", cases.event_list, name="list"),
    path("new/", filing.event_file_page, name="file"),
    path("new/check/", filing.event_file_check, name="file_check"),
    path("queue/", console.queue, name="queue"),
    path("map/", console.event_map, name="map"),
    path("map/data/", console.map_data, name="map_data"),
    path("overdue/", console.overdue, name="overdue"),
    path("archive/", console.archive, name="archive"),
    path("dashboard/", console.dashboard, name="dashboard"),
    path("<int:event_id>/", cases.event_detail, name="detail"),
    path("<int:event_id>/act/<str:name>/", cases.event_act, name="act"),
    path("<int:event_id>/reporter/", cases.event_reporter, name="reporter"),
    path("<int:event_id>/files/<int:attachment_id>/", cases.attachment, name="attachment"),
    path("<int:event_id>/files/<int:attachment_id>/thumb/", cases.attachment, {"thumbnail": True}, name="thumbnail"),
    path("rate/<str:token>/", cases.event_rate, name="rate"),
    path("rate/<str:token>/photos/<int:attachment_id>/", cases.event_rate_photo, name="rate_photo"),
    path("notifications/", cases.notification_list, name="notifications"),
]
