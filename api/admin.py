"""API clients in the admin: an administrator creates a client for a user they manage
(the key is shown once, in the confirmation message) and revokes it."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.scoping import users_manageable_by
from api.models import ApiClient
from api.services import api_client_create, api_client_revoke


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    fields = ["name", "user", "throttle_rate", "prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by"]
    autocomplete_fields = []

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__in=users_manageable_by(request.user)).select_related("user")

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "user"] if obj is not None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = users_manageable_by(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted (the history of who called the API stays)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "throttle_rate"])
            return
        client, key = api_client_create(actor=request.user, name=obj.name, user=obj.user, throttle_rate=obj.throttle_rate)
        obj.pk = client.pk
        messages.warning(request, _("The key of %(name)s is shown only now; copy it: %(key)s") % {"name": client.name, "key": key})

    @admin.action(description=_("Revoke the selected clients"))
    def revoke(self, request, queryset):
        for client in queryset:
            api_client_revoke(actor=request.user, client=client)
        messages.success(request, _("Revoked."))
