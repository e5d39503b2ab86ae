"""Writes for assessment: snapshots of closed periods, point awards, two-way
evaluations, root-cause tasks for hotspots, and edits of the definitions (audited).

Each takes ``actor=`` (``None``: the platform itself, e.g. the beat task), runs in one
transaction and is safe to run twice."""

import hashlib
import time
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Role
from accounts.scoping import events_among_visible_to, user_scope
from assessment.models import (
    HotspotLink,
    HotspotTask,
    PointMark,
    PointRule,
    PointSource,
    Snapshot,
    SnapshotRow,
    TwoWayEvaluation,
)
from assessment.periods import Period, month_period
from assessment.points import (
    DRIVERS,
    EVER,
    FOREVER,
    POINTS_AWARD_OVERLAP,
    entries_insert,
    entries_insert_row,
    mark_next,
    rows_after,
    runs_queue,
)
from assessment.selectors import formula_current, ratios_as_data, ratios_current, results_compute_all
from events.models import Event
from governance.cache import Derived
from workflow.models import Stage, TimelineEntry, Timer
from workflow.services import event_file


class AssessmentError(ValueError):
    """A request that cannot be done; the message is for people."""


# --- Snapshots ------------------------------------------------------------------------------------


def assessment_snapshot(*, actor, period: Period) -> tuple[Snapshot, bool]:
    """Freeze the period's results for every unit of every kind. Returns (snapshot,
    created); a period already frozen is returned as it is (the beat task and the
    command are safe to run twice), and an open period cannot be frozen."""
    if not period.is_closed:
        raise AssessmentError(_("The period %(period)s has not ended yet; only ended periods can be frozen.")
                              % {"period": period.label})
    existing = Snapshot.objects.filter(start=period.start, end=period.end).first()
    if existing is not None:
        return existing, False
    started = time.monotonic()
    ratios, formula = ratios_current(), formula_current()
    results = results_compute_all(period=period, ratios=ratios, formula=formula)
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                period_kind=period.kind, label=period.label, start=period.start, end=period.end,
                definitions=ratios_as_data(ratios), formula=formula, created_at=timezone.now(),
                created_by=actor, seconds=0,
            )
            SnapshotRow.objects.bulk_create(
                [SnapshotRow(snapshot=snapshot, unit_kind=kind, unit_id=unit.id, unit_code=unit.code[:40],
                             unit_name=unit.name[:100], counts={code: list(pair) for code, pair in unit.counts.items()},
                             score=unit.score, rank=unit.rank)
                 for kind, units in results.items() for unit in units],
                batch_size=2000,
            )
            snapshot.seconds = round(time.monotonic() - started, 3)
            snapshot.save(update_fields=["seconds"])
            audit_record(actor=actor, action="assessment_snapshot", obj=snapshot,
                         changes={"rows": sum(len(units) for units in results.values())})
    except IntegrityError:
        # Taken at the same moment by another worker: theirs stands.
        return Snapshot.objects.get(start=period.start, end=period.end), False
    return snapshot, True


# --- Points ---------------------------------------------------------------------------------------


def _sources(source: str, since: datetime, until: datetime):
    """(user id, source id, at) of the work one kind of rule counts, in the period."""
    if source == PointSource.VALID_REPORT:
        return (Event.objects.filter(reported_at__gte=since, reported_at__lt=until, reporter__isnull=False)
                .exclude(accepted_at__isnull=True, is_onsite=False)
                .values_list("reporter_id", "id", "reported_at"))
    if source == PointSource.REJECTED_REPORT:
        rejected = TimelineEntry.objects.filter(event=OuterRef("pk"), transition="reject")
        return (Event.objects.filter(reported_at__gte=since, reported_at__lt=until, reporter__isnull=False)
                .filter(Exists(rejected)).values_list("reporter_id", "id", "reported_at"))
    if source in (PointSource.VERIFICATION, PointSource.LATE_VERIFICATION):
        entries = TimelineEntry.objects.filter(at__gte=since, at__lt=until, transition__in=("verify_pass", "verify_fail"),
                                               actor__isnull=False)
        if source == PointSource.LATE_VERIFICATION:
            late = Timer.objects.filter(event=OuterRef("event_id"), stage=Stage.VERIFY, breached=True,
                                        stopped_at=OuterRef("at"))
            entries = entries.filter(Exists(late))
        return entries.values_list("actor_id", "id", "at")
    if source == PointSource.CARE_VISIT:
        from residents.models import CareVisit

        return (CareVisit.objects.filter(created_at__gte=since, created_at__lt=until)
                .values_list("visited_by_id", "id", "created_at"))
    if source == PointSource.PATROL:
        from residents.models import PlaceInspection

        return (PlaceInspection.objects.filter(created_at__gte=since, created_at__lt=until)
                .values_list("inspected_by_id", "id", "created_at"))
    if source == PointSource.PATROL_ROUND:
        from patrols.models import PatrolRound, RoundStatus

        return (PatrolRound.objects.filter(status=RoundStatus.ENDED, started_at__gte=since, started_at__lt=until)
                .values_list("worker_id", "id", "started_at"))
    if source == PointSource.PATROL_FINDING:
        from patrols.models import PatrolFinding

        # Valid as the assessment counts it: accepted as a case (立案) or resolved on site.
        return (PatrolFinding.objects.filter(created_at__gte=since, created_at__lt=until)
                .exclude(event__accepted_at__isnull=True, event__is_onsite=False)
                .values_list("worker_id", "id", "created_at"))
    raise ValueError(source)


def points_award(*, actor, period: Period, full: bool = False) -> int:
    """The sweep: write the point entries for work not awarded yet under every active
    rule, for grid workers (full-time, part-time, grid leaders). One entry per rule and
    source object (a unique constraint), so nothing is awarded twice.

    A rule whose work comes from a table in ``assessment.points.DRIVERS`` reads only the
    rows above its mark (new work, of whatever month: a report of October accepted in
    November earns its October points now), so running it again costs what is new, not
    the month. A rule's first run, a rule without such a table, and ``full=True`` also read
    every source of ``period`` and of the month so far. Returns the number of entries added."""
    now = timezone.now()
    cutoff, until = now - POINTS_AWARD_OVERLAP, now + timedelta(days=1)
    today = timezone.localdate()
    periods = {(chosen.since, chosen.until) for chosen in (period, month_period(today.year, today.month))}
    added = 0
    with transaction.atomic():
        runs_queue()
        for rule in PointRule.objects.filter(is_active=True):
            driver = DRIVERS.get(rule.source)
            mark = PointMark.objects.select_for_update().filter(rule=rule).first()
            through = mark.through_id if mark is not None else None
            next_through = mark_next(driver, through, cutoff) if driver is not None else None
            if through is not None:
                added += entries_insert(rule, driver.narrow(_sources(rule.source, EVER, until), rows_after(driver, through)))
            if through is None or full:
                for since, end in sorted(periods):
                    added += entries_insert(rule, _sources(rule.source, since, end))
            PointMark.objects.update_or_create(rule=rule, defaults={"through_id": next_through, "swept_at": now})
    return added


# Which rules a workflow transition can earn or cost points under (the receiver's filter).
TRANSITION_SOURCES = {
    "accept": (PointSource.VALID_REPORT, PointSource.PATROL_FINDING),
    "report_onsite": (PointSource.VALID_REPORT, PointSource.PATROL_FINDING),
    "reject": (PointSource.REJECTED_REPORT,),
    "verify_pass": (PointSource.VERIFICATION, PointSource.LATE_VERIFICATION),
    "verify_fail": (PointSource.VERIFICATION, PointSource.LATE_VERIFICATION),
}


# The active point rules, read by every transition that can earn points (accept, verify…):
# kept in memory, invalidated when a rule is saved or deleted (assessment.apps).
RULES = Derived("point-rules")


def _rules_active() -> tuple:
    return tuple(PointRule.objects.filter(is_active=True).order_by("pk"))


def points_award_work(*, source_kinds, model, pk: int) -> None:
    """As the work is recorded, in its transaction: the entries that the row just
    written (``pk`` of ``model``: a timeline entry, care visit or inspection) earns under
    the active rules of ``source_kinds``. The row is new, so no other run can be awarding
    it at the same moment, and its time lies between ``EVER`` and ``FOREVER``."""
    rules = [(rule, lambda rows, rule=rule: DRIVERS[rule.source].narrow(_sources(rule.source, EVER, FOREVER), rows))
             for rule in RULES.get("active", _rules_active) if rule.source in source_kinds]
    entries_insert_row(rules, model, pk)


# --- Two-way evaluation (双向评议) -------------------------------------------------------------------


def evaluation_counterparts(*, actor) -> list[tuple[object, object, str]]:
    """Whom the actor rates: (grid, person, direction) — a grid worker rates the police
    liaisons of their grids, a police liaison the grid workers of theirs."""
    from accounts.models import RoleAssignment
    from assessment.models import EvaluationDirection

    mine = RoleAssignment.objects.filter(user=actor, revoked_at__isnull=True, area__isnull=False)
    pairs = []
    for assignment in mine.select_related("area"):
        if assignment.role == Role.GRID_WORKER:
            wanted, direction = (Role.POLICE,), EvaluationDirection.WORKER_RATES_POLICE
        elif assignment.role == Role.POLICE:
            wanted, direction = (Role.GRID_WORKER,), EvaluationDirection.POLICE_RATES_WORKER
        else:
            continue
        others = RoleAssignment.objects.filter(area=assignment.area, role__in=wanted, revoked_at__isnull=True).exclude(
            user=actor).select_related("user")
        pairs += [(assignment.area, other.user, direction) for other in others]
    return pairs


def evaluation_record(*, actor, evaluatee_id: int, grid_id: int, month: date, grade: int, comment: str = "") -> TwoWayEvaluation:
    """Record (or change, within the month) the actor's rating of a counterpart."""
    from assessment.models import EvaluationGrade

    if grade not in EvaluationGrade.values:
        raise ValidationError({"grade": _("Choose a grade.")})
    pair = next(((grid, person, direction) for grid, person, direction in evaluation_counterparts(actor=actor)
                 if person.pk == evaluatee_id and grid.pk == grid_id), None)
    if pair is None:
        raise PermissionDenied(_("You can only rate the grid worker or police officer of your own grid."))
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": _("You cannot rate a month that has not started.")})
    grid, person, direction = pair
    with transaction.atomic():
        evaluation, created = TwoWayEvaluation.objects.select_for_update().get_or_create(
            month=month, evaluator=actor, evaluatee=person,
            defaults={"direction": direction, "grid": grid, "grade": grade, "comment": comment, "updated_at": timezone.now()},
        )
        if not created:
            evaluation.grade, evaluation.comment, evaluation.updated_at = grade, comment, timezone.now()
            evaluation.save(update_fields=["grade", "comment", "updated_at"])
    return evaluation


# --- Hotspots -------------------------------------------------------------------------------------


def hotspot_task_create(*, actor, event_ids: list[int], radius_metres: int, description: str = "") -> HotspotTask:
    """File a root-cause event (溯源治理) for a hotspot through ``workflow.services.event_file``
    and link it to the repeated events. The events must be ones the actor may see, of
    one small class; the new event lies at their centre."""
    ids = list(dict.fromkeys(event_ids))
    found = events_among_visible_to(actor, ids).select_related("category").in_bulk()
    if len(found) != len(ids):
        raise Http404("No such event")  # missing and out of scope answer the same
    events = [found[event_id] for event_id in ids]
    if len(events) < 2:
        raise AssessmentError(_("A hotspot needs at least two events."))
    if len({event.category_id for event in events}) != 1:
        raise AssessmentError(_("The events of a hotspot must be of one small class."))
    located = [event for event in events if event.latitude is not None and event.longitude is not None]
    if not located:
        raise AssessmentError(_("None of the events has a location."))
    latitude = sum(event.latitude for event in located) / len(located)
    longitude = sum(event.longitude for event in located) / len(located)
    category = events[0].category
    text = description.strip() or _(
        "Root-cause task: %(count)d reports of “%(category)s” within %(radius)d m (%(codes)s)."
    ) % {"count": len(events), "category": category.name, "radius": radius_metres,
         "codes": ", ".join(event.code for event in events[:10])}
    # The same hotspot (same small class, same events) files one task however often the
    # button is pressed: the key makes event_file return the first event, and the task is
    # found by it (one task per event).
    key = "hotspot-" + hashlib.sha256(f"{category.pk}:{sorted(ids)}".encode()).hexdigest()[:40]
    with transaction.atomic():
        event, _created = event_file(actor=actor, channel="patrol", category=category, description=text,
                                     latitude=latitude, longitude=longitude, grid=events[0].grid_id,
                                     address=events[0].address, idempotency_key=key)
        task, created = HotspotTask.objects.get_or_create(event=event, defaults={
            "category": category, "radius_metres": radius_metres, "created_by": actor, "created_at": timezone.now()})
        if created:
            HotspotLink.objects.bulk_create([HotspotLink(task=task, event=repeat) for repeat in events])
    return task


# --- Definitions (from the admin) -----------------------------------------------------------------


def config_save(*, actor, obj, changed: list[str], created: bool):
    """Save a ratio definition, score formula or point rule edited by a city
    administrator, validated, with one audit row."""
    scope = user_scope(actor)
    if not (scope.is_global or any(len(path) == 4 for path in scope.admin_paths)):
        raise PermissionDenied(_("Only city administrators may change assessment definitions."))
    obj.full_clean()
    with transaction.atomic():
        if getattr(obj, "is_default", False):
            type(obj).objects.filter(is_default=True).exclude(pk=obj.pk).update(is_default=False)
        obj.save()
        audit_record(actor=actor, action=f"{obj._meta.model_name}_{'create' if created else 'update'}", obj=obj,
                     changes={name: _jsonable(getattr(obj, name)) for name in changed})
    return obj


def _jsonable(value):
    return value if isinstance(value, str | int | float | bool | list | dict | type(None)) else str(value)

