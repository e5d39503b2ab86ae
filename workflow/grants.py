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

from django.db import connection

from accounts.models import Department
from accounts.scoping import view_event_permission_id
from events.models import Event, EventDepartment, EventGroupObjectPermission
from governance import pipeline

# Transitions after which some department's grant may no longer apply.
ENDS_ASSIGNMENTS = frozenset({"dispatch", "return", "escalate", "close", "close_special", "assess", "archive", "merge", "reject"})

# Grants on one event held by a department's group whose department no longer works on
# it (no active assignment), removed in one statement (written out once: composing the
# ORM's correlated delete cost more than running it).
_REVOKE_SQL = f"""
    DELETE FROM {EventGroupObjectPermission._meta.db_table} AS held
    WHERE held.content_object_id = %s
      AND EXISTS (SELECT 1 FROM {Department._meta.db_table} AS department WHERE department.group_id = held.group_id)
      AND NOT EXISTS (
          SELECT 1 FROM {EventDepartment._meta.db_table} AS assignment
          JOIN {Department._meta.db_table} AS department ON department.id = assignment.department_id
          WHERE assignment.event_id = held.content_object_id AND department.group_id = held.group_id
            AND assignment.ended_at IS NULL)"""


def event_grants_revoke_stale(*, event: Event) -> None:
    """Remove the department grants on ``event`` that no longer apply (held for the
    transaction's next statement: ``governance.pipeline``)."""
    pipeline.hold(connection, _REVOKE_SQL, [event.pk])


# The ``view_event`` grants of departments' groups on one event, in one statement for any
# number of groups; a grant a group already holds is left as it is.
_GIVE_SQL = f"""
    INSERT INTO {EventGroupObjectPermission._meta.db_table} (permission_id, group_id, content_object_id, reported_at)
    SELECT permission.id, chosen.group_id, %s, %s
    FROM auth_permission AS permission
    JOIN django_content_type AS type ON type.id = permission.content_type_id
    CROSS JOIN unnest(%s::integer[]) AS chosen (group_id)
    WHERE type.app_label = 'events' AND permission.codename = 'view_event'
    ON CONFLICT DO NOTHING"""


def event_grants_give(*, event: Event, group_ids) -> None:
    """Let the groups read ``event`` (django-guardian's rows; held for the transaction's
    next statement: ``governance.pipeline``)."""
    groups = sorted(set(group_ids))
    if not groups:
        return
    if connection.vendor != "postgresql":  # (SQLite, the embedded mode: no arrays)
        permission = view_event_permission_id()
        EventGroupObjectPermission.objects.bulk_create(
            [EventGroupObjectPermission(permission_id=permission, group_id=group, content_object=event,
                                        reported_at=event.reported_at) for group in groups],
            ignore_conflicts=True)
        return
    pipeline.hold(connection, _GIVE_SQL, [event.pk, event.reported_at, groups])
