from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    """The event state machine, SLA timers and calendars. Filled by the workflow issue."""

    name = "workflow"
    verbose_name = _("Workflow")
