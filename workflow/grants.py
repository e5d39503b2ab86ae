"""Departments' object grants on events end with their work (docs/permissions.md).

The rule, in one place: a department may read an event while it holds an active
assignment on it (primary 主办 or assisting 协办). When the assignment ends — the case is
returned, dispatched again to someone else, escalated away, or closed specially — the
department's ``view_event`` grant goes with it. The departments whose assignment is
still active when the case closes normally keep reading it after closing and archiving:
it is their own finished work, and their assessment counts it.

``event_grants_revoke_stale`` is called by the transition entry point
(``workflow.services.event_transition``) after every transition that can end an
assignment; migration ``events.0004`` applied the same rule to the grants given before.
"""

from django.db.models import Exists, OuterRef, QuerySet

from events.models import Event, EventDepartment, EventGroupObjectPermission

# Transitions after which some department's grant may no longer apply.
ENDS_ASSIGNMENTS = frozenset({"dispatch", "return", "escalate", "close", "close_special", "assess", "archive", "merge", "reject"})


def stale_department_grants(events: QuerySet | None = None) -> QuerySet:
    """Grants held by a department's group on an event the department no longer works on."""
    active = EventDepartment.objects.filter(
        event_id=OuterRef("content_object_id"), department__group_id=OuterRef("group_id"), ended_at__isnull=True,
    )
    grants = EventGroupObjectPermission.objects.filter(group__department__isnull=False)
    if events is not None:
        grants = grants.filter(content_object__in=events)
    return grants.exclude(Exists(active))


def event_grants_revoke_stale(*, event: Event) -> int:
    """Remove the department grants on ``event`` that no longer apply; how many were removed."""
    removed, _by_model = stale_department_grants(Event.objects.filter(pk=event.pk)).delete()
    return removed
