from django.contrib import admin
from django.urls import include, path

from governance import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("grids/", include("grids.urls")),
    path("admin/", admin.site.urls),
]
