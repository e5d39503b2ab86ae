"""Celery tasks of assessment: thin, safe to run twice."""

from celery import shared_task


@shared_task(name="assessment.tasks.assessment_snapshot_task")
def assessment_snapshot_task(period: str | None = None) -> dict:
    """Freeze ``period`` (default: the previous month) and award the points of that
    month and of the month so far. A period already frozen stays as it is."""
    from django.utils import timezone

    from assessment.periods import last_month, month_period, period_parse
    from assessment.services import assessment_snapshot, points_award

    chosen = period_parse(period) if period else last_month()
    snapshot, created = assessment_snapshot(actor=None, period=chosen)
    today = timezone.localdate()
    points = points_award(actor=None, period=chosen)
    if chosen.kind == "month" and chosen.end < today:
        points += points_award(actor=None, period=month_period(today.year, today.month))
    return {"snapshot": snapshot.pk, "created": created, "points": points}


@shared_task(name="assessment.tasks.points_award_task")
def points_award_task() -> int:
    """The sweep of points (docs/assessment.md): what is new since the last run, and the
    month so far for rules read whole. Work already earns its points as it is recorded;
    this catches rows written in bulk, rules switched on and roles granted later."""
    from django.utils import timezone

    from assessment.periods import month_period
    from assessment.services import points_award

    today = timezone.localdate()
    return points_award(actor=None, period=month_period(today.year, today.month))
