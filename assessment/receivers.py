"""Thin receivers: work earns its points in the transaction that records it
(``assessment.points``; the rules are ``assessment.services``)."""


def on_timeline_recorded(sender, *, entry, event, **kwargs):
    """A transition that can earn or cost points (accept, on-site report, reject, verify)."""
    from assessment.services import TRANSITION_SOURCES, points_award_work

    kinds = TRANSITION_SOURCES.get(entry.transition)
    if kinds:
        points_award_work(source_kinds=kinds, model=sender, pk=entry.pk)


def on_work_saved(sender, *, instance, created, raw=False, **kwargs):
    """A care visit or a key-place inspection recorded."""
    from assessment.models import PointSource
    from assessment.services import points_award_work

    if created and not raw:
        kind = {"carevisit": PointSource.CARE_VISIT, "placeinspection": PointSource.PATROL}[sender._meta.model_name]
        points_award_work(source_kinds=(kind,), model=sender, pk=instance.pk)
