from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """Assessment and analytics (DESIGN §7): ratios as data, scores and rankings,
    frozen snapshots, grid-worker points, two-way evaluation, hotspots."""

    name = "assessment"
    verbose_name = _("Assessment")
