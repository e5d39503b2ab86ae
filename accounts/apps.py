from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff, departments and roles")

    def ready(self):
        # A user's scope is read from memory until what it is made of changes.
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from guardian.models import GroupObjectPermission, UserObjectPermission

        from accounts.models import RoleAssignment, User
        from accounts.scoping import SCOPES
        from grids.models import Area

        for model in (RoleAssignment, Area, UserObjectPermission, GroupObjectPermission, Group):
            for signal in (post_save, post_delete):
                signal.connect(SCOPES.invalidate, sender=model, weak=False,
                               dispatch_uid=f"derived-scopes-{model.__name__}-{signal is post_save}")
        m2m_changed.connect(SCOPES.invalidate, sender=User.groups.through, weak=False, dispatch_uid="derived-scopes-groups")
