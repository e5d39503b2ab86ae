from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from events.views import public
from governance import views

admin.site.site_header = _("Grid governance platform")
admin.site.site_title = _("Grid governance platform")
admin.site.index_title = _("Configuration")
admin.site.index_template = "admin/governance_index.html"  # warns of years without official holidays

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("grids/", include("grids.urls")),
    path("events/", include("events.urls")),
    # Residents without an account: report, thanks with the tracking code, follow it.
    path("report/", public.public_report, name="public_report"),
    path("report/thanks/<str:code>/", public.public_thanks, name="public_thanks"),
    path("report/track/", public.public_track, name="public_track"),
    path("report/nearby/", public.public_nearby, name="public_nearby"),
    path("report/case/<str:token>/", public.public_case, name="public_case"),
    path("report/track/<str:code>/photos/<int:attachment_id>/", public.public_track_photo, name="public_track_photo"),
    path("residents/", include("residents.urls")),
    # Before api/: its last pattern answers every other /api/v1/ path with the JSON 404.
    path("api/v1/assessment/", include("assessment.api.urls")),
    path("api/v1/campaigns/", include("campaigns.api.urls")),
    path("api/v1/patrols/", include("patrols.api.urls")),
    path("api/", include("api.urls")),
    path("open311/v2/", include("open311.urls")),
    path("assessment/", include("assessment.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("patrols/", include("patrols.urls")),
    path("admin/", admin.site.urls),
]
