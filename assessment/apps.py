from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    """Assessment and analytics (DESIGN §7): ratios as data, scores and rankings,
    frozen snapshots, grid-worker points, two-way evaluation, hotspots."""

    name = "assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from assessment.models import PointRule
        from assessment.receivers import on_timeline_recorded, on_work_saved
        from assessment.services import RULES
        from residents.models import CareVisit, PlaceInspection
        from workflow.models import TimelineEntry
        from workflow.signals import timeline_recorded

        timeline_recorded.connect(on_timeline_recorded, sender=TimelineEntry, dispatch_uid="assessment.points")
        for signal in (post_save, post_delete):
            signal.connect(RULES.invalidate, sender=PointRule, weak=False, dispatch_uid=f"assessment.rules.{signal is post_save}")
        for model in (CareVisit, PlaceInspection):
            post_save.connect(on_work_saved, sender=model, dispatch_uid=f"assessment.points.{model._meta.model_name}")
