from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Platform")

    def ready(self):
        # Connects the Celery signals that carry the request id and log each task.
        from governance import requestlog  # noqa: F401
