"""Reads for the workflow: who to notify, what an actor may do now, a dossier."""

from django.db.models import Exists, OuterRef

from accounts.models import DEPARTMENT_ROLES, Role, RoleAssignment
from accounts.scoping import ancestor_paths, events_visible_to
from events.models import State
from governance.cache import Derived
from workflow.machine import TRANSITIONS, Context
from workflow.models import ChangeRequest, RequestStatus

# Who holds which role where (the recipients of notifications), invalidated when a role
# assignment changes (workflow.apps). Sets are returned as copies: callers subtract from them.
ROLES = Derived("roles")


def users_with_role_over(paths, roles) -> set[int]:
    """Ids of users holding one of ``roles`` on any of ``paths`` or a node above them."""
    paths, roles = list(paths), list(roles)
    key = ("over", tuple(sorted(paths)), tuple(sorted(roles)))
    return set(ROLES.get(key, lambda: frozenset(_users_with_role_over(paths, roles))))


def _users_with_role_over(paths, roles) -> set[int]:
    above = {ancestor for path in paths for ancestor in ancestor_paths(path)}
    if not above:
        return set()
    return set(
        RoleAssignment.objects.filter(revoked_at__isnull=True, role__in=roles, area__path__in=above).values_list("user_id", flat=True)
    )


def users_with_role_on(area_ids, roles) -> set[int]:
    """Ids of users holding one of ``roles`` on exactly these areas."""
    area_ids, roles = list(area_ids), list(roles)
    key = ("on", tuple(sorted(area_ids)), tuple(sorted(roles)))
    return set(ROLES.get(key, lambda: frozenset(_users_with_role_on(area_ids, roles))))


def _users_with_role_on(area_ids, roles) -> set[int]:
    return set(
        RoleAssignment.objects.filter(revoked_at__isnull=True, role__in=roles, area_id__in=area_ids).values_list("user_id", flat=True)
    )


def department_members(department_ids) -> set[int]:
    """Ids of the handlers and admins of the departments."""
    department_ids = list(department_ids)
    key = ("departments", tuple(sorted(department_ids)))
    return set(ROLES.get(key, lambda: frozenset(_department_members(department_ids))))


def _department_members(department_ids) -> set[int]:
    return set(
        RoleAssignment.objects.filter(revoked_at__isnull=True, role__in=DEPARTMENT_ROLES, department_id__in=department_ids)
        .values_list("user_id", flat=True)
    )


def department_colleagues(department_id):
    """The active handlers and admins of a department, by name."""
    from accounts.models import User

    return User.objects.filter(pk__in=department_members([department_id]), is_active=True).order_by("full_name", "username")


def department_colleague(department_id, user_id):
    """The department's member with ``user_id`` (``None`` when not a member)."""
    if department_id is None or not str(user_id or "").isdigit():
        return None
    return department_colleagues(department_id).filter(pk=int(user_id)).first()


def command_center_staff(event) -> set[int]:
    """The dispatchers of the event's command center (exactly that level)."""
    return users_with_role_on([event.command_area_id], [Role.DISPATCHER])


def supervisors(event) -> set[int]:
    """The supervisor level of a case: its command center's dispatchers and leaders
    holding the leader role on the command center's node or the one above."""
    nodes = ancestor_paths(event.command_area.path)[-2:]
    leaders = RoleAssignment.objects.filter(revoked_at__isnull=True, role=Role.LEADER, area__path__in=nodes)
    return command_center_staff(event) | set(leaders.values_list("user_id", flat=True))


def grid_verifiers(event) -> set[int]:
    return users_with_role_on([event.grid_id], [Role.GRID_WORKER]) or users_with_role_over([event.grid.path], [Role.GRID_LEADER])


def transitions_available(user, event) -> list[tuple]:
    """(transition, reason) for every transition from the event's state that the user
    is an actor of; ``reason`` is ``None`` when it can fire now, else why not."""
    from workflow.permissions import actors_for

    actors = actors_for(user, event)
    pending = frozenset(
        ChangeRequest.objects.filter(event=event, status=RequestStatus.PENDING).values_list("kind", flat=True)
    )
    available = []
    for transition in TRANSITIONS:
        if event.state not in transition.sources or not actors & set(transition.actors):
            continue
        # Parameters come from the form; check only what does not depend on them.
        reason = transition.guard(Context(event, {"__probe__": True}, pending)) if transition.name in _PARAMLESS else None
        available.append((transition, reason))
    return available


_PARAMLESS = {"sign", "approve_postponement", "deny_postponement", "approve_suspension", "deny_suspension", "resume"}



def with_pending_requests(events, *, only: bool = False):
    """``events`` marked with ``has_pending_request`` (a postponement or suspension
    waiting for a decision); with ``only`` just those."""
    pending = ChangeRequest.objects.filter(event=OuterRef("pk"), status=RequestStatus.PENDING)
    events = events.annotate(has_pending_request=Exists(pending))
    return events.filter(has_pending_request=True) if only else events


def verification_tasks(user, *, limit: int = 50) -> list:
    """Handled events waiting for the user's verification on site."""
    from workflow.permissions import is_verifier

    candidates = (
        events_visible_to(user).filter(state=State.HANDLED).select_related("category", "grid", "command_area")
        .order_by("due_at")[: limit * 2]
    )
    return [event for event in candidates if is_verifier(user, event)][:limit]
