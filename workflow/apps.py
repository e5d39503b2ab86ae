from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    """The event state machine, SLA timers and calendars."""

    name = "workflow"
    verbose_name = _("Workflow")

    def ready(self):
        # What filing and transitions read on every call comes from memory until its rows change.
        from accounts.models import RoleAssignment
        from grids.models import Area
        from workflow.centers import CENTERS
        from workflow.models import SLALimit, SLAPolicy
        from workflow.selectors import ROLES
        from workflow.timers import SLA_CACHE

        for model, derived in ((SLAPolicy, SLA_CACHE), (SLALimit, SLA_CACHE), (RoleAssignment, ROLES), (Area, CENTERS)):
            for signal in (post_save, post_delete):
                signal.connect(derived.invalidate, sender=model, weak=False,
                               dispatch_uid=f"derived-{derived.name}-{model.__name__}-{signal is post_save}")
