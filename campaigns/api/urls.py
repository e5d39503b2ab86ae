from django.urls import path

from campaigns.api import views

app_name = "campaigns-api"
urlpatterns = [
    path("", views.CampaignList.as_view(), name="list"),
    path("<int:pk>/", views.CampaignDetail.as_view(), name="detail"),
    path("<int:pk>/publish/", views.CampaignPublish.as_view(), name="publish"),
    path("<int:pk>/form/", views.CampaignForm.as_view(), name="form"),
    path("<int:pk>/progress/", views.CampaignProgress.as_view(), name="progress"),
    path("<int:pk>/targets/", views.TargetList.as_view(), name="targets"),
    path("<int:pk>/ledger.xlsx", views.CampaignLedger.as_view(), name="ledger"),
    path("targets/<int:pk>/answers/", views.TargetAnswer.as_view(), name="answers"),
    path("answers/", views.AnswerBatch.as_view(), name="answer-batch"),
    path("targets/<int:pk>/event/", views.TargetEvent.as_view(), name="event"),
]
