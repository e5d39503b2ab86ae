from django.contrib import admin

from accounts.admin import ReadOnlyAdminMixin
from governance.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "last_seen")
