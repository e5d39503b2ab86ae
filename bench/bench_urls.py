from django.urls import path

from bench.benchbare.views import NoteCreate
from governance.urls import urlpatterns as platform

urlpatterns = [*platform, path("bench/bare/", NoteCreate.as_view())]
