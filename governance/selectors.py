from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from governance.models import Heartbeat


@dataclass(frozen=True)
class BackgroundStatus:
    last_seen: datetime | None
    healthy: bool


def background_status() -> BackgroundStatus:
    beat = Heartbeat.objects.filter(name="worker").first()
    if beat is None:
        return BackgroundStatus(last_seen=None, healthy=False)
    age = (timezone.now() - beat.last_seen).total_seconds()
    return BackgroundStatus(last_seen=beat.last_seen, healthy=age <= settings.HEARTBEAT_STALE_SECONDS)


@dataclass(frozen=True)
class SweepRun:
    finished: datetime
    seconds: float
    timers: int | None
    ok: bool


def last_timer_sweep() -> SweepRun | None:
    """The last run of the timer sweep: when it finished, how long it took, how many
    timers it looked at. The one place the metrics read it from: the sweep's own lease row
    (``workflow.SweepRun`` ``timers``, written by ``workflow.sweep.timers_sweep_exclusive``
    in the database, so it holds across processes and through a cache outage). While a
    sweep runs, its last committed batch stands for "finished" (lag grows only when it
    stops making progress) and ``ok`` is false when the previous holder died."""
    from workflow.models import SweepRun as SweepRow
    from workflow.sweep import SWEEP_NAME

    row = SweepRow.objects.filter(name=SWEEP_NAME).first()
    if row is None or row.started_at is None:
        return None
    finished = row.finished_at or row.renewed_at or row.started_at
    return SweepRun(finished=finished, seconds=max((finished - row.started_at).total_seconds(), 0.0), timers=row.timers,
                    ok=row.finished_at is not None or bool(row.holder))


def home_panels(user, workplaces: dict) -> dict:
    """What each role sees first on the home page: the grid worker's open events,
    verification tasks, overdue care visits and unread notifications; the command
    center's and the department's counts of waiting work. All scoped."""
    from django.db.models import Count, Q

    from accounts.scoping import events_visible_to
    from events.models import Light, light_filter
    from events.selectors import department_queue
    from residents.selectors import may_record_visits, overdue_tags
    from workflow.machine import OPEN_STATES, State
    from workflow.models import ChangeRequest, RequestStatus
    from workflow.selectors import verification_tasks

    panels: dict = {}
    now = timezone.now()  # the lights as the clock says now, not as the last sweep left them
    if workplaces["grid"]:
        panels["my_events"] = list(
            events_visible_to(user).filter(reporter=user, state__in=OPEN_STATES)
            .select_related("category", "grid").order_by("due_at")[:20]
        )
        panels["verify"] = verification_tasks(user, limit=20)
        panels["records_visits"] = may_record_visits(user)
        panels["overdue_visits"] = list(
            overdue_tags(user, today=timezone.localdate()).select_related("resident", "grid").order_by("next_visit_due")[:20]
        )
    if workplaces["command"] or workplaces["leader"]:
        visible = events_visible_to(user).filter(state__in=OPEN_STATES).order_by()
        panels["command"] = visible.aggregate(
            reported=Count("id", filter=Q(state=State.REPORTED)), accepted=Count("id", filter=Q(state=State.ACCEPTED)),
            red=Count("id", filter=light_filter(Light.RED, now)), yellow=Count("id", filter=light_filter(Light.YELLOW, now)),
            verified=Count("id", filter=Q(state=State.VERIFIED)),
        )
        panels["command"]["requests"] = ChangeRequest.objects.filter(
            status=RequestStatus.PENDING, event__in=visible.values("pk")).count()
        panels["command"]["to_archive"] = events_visible_to(user).filter(
            state__in=(State.CLOSED, State.REJECTED, State.MERGED)).count()
        panels["requests"] = list(
            ChangeRequest.objects.filter(status=RequestStatus.PENDING, event__in=visible.values("pk"))
            .select_related("event", "event__category", "event__grid").order_by("requested_at")[:10])
        panels["waiting"] = list(visible.filter(state__in=(State.REPORTED, State.ACCEPTED))
                                 .select_related("category", "grid").order_by("due_at")[:10])
    if workplaces["leader"]:
        panels["leader"] = leader_overview(user)
    if workplaces["department"]:
        queue = department_queue(user)
        panels["department"] = {"to_sign": queue.filter(state=State.DISPATCHED).count(),
                                "handling": queue.filter(state=State.HANDLING).count(),
                                "red": queue.filter(light_filter(Light.RED, now)).exclude(state=State.HANDLED).count()}
        panels["workload"] = department_workload(user, queue)
    if workplaces["admin"]:
        panels["admin"] = admin_tasks(user)
    panels["notifications"] = list(user.notifications.filter(read_at__isnull=True)[:5])
    return panels


def department_workload(user, queue) -> list[dict]:
    """For a department admin (部门管理员): each colleague's open cases (and the cases
    nobody holds yet), so they can assign work. Empty for a handler."""
    from django.db.models import Count

    from accounts.models import Role, RoleAssignment
    from workflow.selectors import department_colleagues

    departments = list(RoleAssignment.objects.filter(user=user, role=Role.DEPT_ADMIN, revoked_at__isnull=True)
                       .values_list("department_id", flat=True))
    if not departments:
        return []
    counts = dict(queue.filter(primary_department_id__in=departments).order_by().values_list("handler_id")
                  .annotate(count=Count("id")))
    people = {person.pk: person for department_id in departments for person in department_colleagues(department_id)}
    rows = [{"name": person.display_name, "count": counts.get(pk, 0)} for pk, person in people.items()]
    return [{"name": None, "count": counts.get(None, 0)}, *sorted(rows, key=lambda row: (-row["count"], row["name"]))]


def leader_overview(user) -> dict:
    """A leader's home (领导): the lights of the open cases in their area, overdue by
    street and department, and the supervised cases; links to this month's ranking."""
    from django.db.models import Count

    from accounts.scoping import events_visible_to
    from events.models import Light, light_filter
    from events.selectors import overdue_board
    from workflow.machine import OPEN_STATES

    now = timezone.now()  # the lights as the clock says now, not as the last sweep left them
    open_events = events_visible_to(user).filter(state__in=OPEN_STATES).order_by()
    lights = open_events.aggregate(green=Count("id", filter=light_filter(Light.GREEN, now)),
                                   yellow=Count("id", filter=light_filter(Light.YELLOW, now)),
                                   red=Count("id", filter=light_filter(Light.RED, now)))
    supervised = list(open_events.filter(is_supervised=True).select_related("category", "grid").order_by("due_at")[:10])
    return {"lights": lights, "board": overdue_board(user), "supervised": supervised,
            "month": timezone.localdate().strftime("%Y-%m")}


def admin_tasks(user) -> dict:
    """An administrator's home: what needs their hand in their area — grids whose team is
    incomplete, grids over the size limits, imports that failed or left rows to fix. (Years
    without official holidays: the ``missing_calendar_years`` tag, issue 18, on the home.)"""
    from django.db.models import Q

    from accounts.scoping import grids_visible_to
    from accounts.selectors import grid_teams
    from residents.models import ImportStatus
    from residents.selectors import imports_visible_to

    grids = grids_visible_to(user)
    oversize = grids.filter(Q(grid_type="basic") & (Q(households__gt=settings.GRID_MAX_HOUSEHOLDS)
                                                   | Q(population__gt=settings.GRID_MAX_POPULATION)))
    imports = imports_visible_to(user)
    return {
        "incomplete_teams": sum(1 for team in grid_teams(grids.order_by("path")[:5000]) if not team.complete),
        "oversize": list(oversize.order_by("path").values("id", "name", "code", "households", "population")[:10]),
        "oversize_count": oversize.count(),
        "imports_to_fix": imports.filter(Q(status=ImportStatus.FAILED) | Q(status=ImportStatus.DONE, errors__gt=0)).count(),
        "imports_running": imports.filter(status__in=(ImportStatus.PENDING, ImportStatus.RUNNING)).count(),
    }
