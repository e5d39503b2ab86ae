from django.urls import path

from patrols.api import views

app_name = "patrols-api"
urlpatterns = [
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path("plan/", views.PlanView.as_view(), name="plan"),
    path("coverage/", views.CoverageView.as_view(), name="coverage"),
    path("overdue/", views.OverdueView.as_view(), name="overdue"),
    path("rounds/", views.RoundList.as_view(), name="rounds"),
    path("rounds/<int:round_id>/", views.RoundDetail.as_view(), name="round"),
    path("rounds/<int:round_id>/end/", views.RoundEnd.as_view(), name="round_end"),
    path("rounds/<int:round_id>/track/", views.RoundTrack.as_view(), name="round_track"),
    path("rounds/<int:round_id>/checks/", views.RoundChecks.as_view(), name="round_checks"),
    path("rounds/<int:round_id>/findings/", views.RoundFindings.as_view(), name="round_findings"),
    path("rounds/<int:round_id>/map/", views.RoundMap.as_view(), name="round_map"),
    # The same writes by the round's start key (a round started offline: docs/patrols.md).
    path("rounds/key/<str:round_key>/end/", views.RoundEnd.as_view(), name="round_key_end"),
    path("rounds/key/<str:round_key>/track/", views.RoundTrack.as_view(), name="round_key_track"),
    path("rounds/key/<str:round_key>/checks/", views.RoundChecks.as_view(), name="round_key_checks"),
    path("rounds/key/<str:round_key>/findings/", views.RoundFindings.as_view(), name="round_key_findings"),
]
