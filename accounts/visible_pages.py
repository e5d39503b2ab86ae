"""One page of the events a user may see, read source by source (docs/permissions.md).

``accounts.scoping.events_visible_to`` is one condition: in the user's subtrees, OR
granted to one of their groups (a department) or to them, OR filed by them. PostgreSQL
cannot walk a list's index in order through that OR: for a department handler it hashed
every grant the department ever received and then passed over every event it may not
read on the way to the first page (at 1,000,000 events, tens of thousands of each).

Here each source is read on its own, in the list's order (newest first, or oldest first
for a previous page), up to the page's length: the events of the subtrees and the
user's own filings on the events' indexes, the grants on theirs (each grant carries its
event's ``reported_at``, indexed per holder). Their union holds the page: an event on
the page comes from at least one source, and within that source it is among the first
rows. The page is then the scoped query narrowed to these ids — the scope still decides
what is shown, so a wrong candidate can only be left out, never shown.
"""

import functools
from datetime import UTC, datetime

from django.db import connections
from django.db.models import QuerySet

from accounts.scoping import subtree_q, user_scope, view_event_permission
from grids.models import Area


def events_visible_candidates(user, events: QuerySet, *, count: int, ascending: bool = False, beyond=None) -> QuerySet | None:
    """The ids (one ``UNION ALL`` statement) among which lie the first ``count`` events
    of ``events`` (an unscoped queryset with the list's filters) that ``user`` may see,
    in ``(reported_at, id)`` order — descending, or ``ascending`` — past the position
    ``beyond`` (a ``reported_at``, exclusive), as the cursor pagination reads them. ``None`` when reading source by
    source is not worth it: the user works in no department (whose group receives the
    grants of dispatch), so the scoped query is the fast one; or not possible: the
    database cannot limit each part of a ``UNION`` (SQLite, the embedded mode, where a
    department's list answered 500)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not connections[events.db].features.supports_slicing_ordering_in_compound:
        return None
    scope = user_scope(user)
    if scope.is_global or not scope.department_ids or not scope.group_ids:
        return None
    sign = "" if ascending else "-"
    past = "gt" if ascending else "lt"

    def first(rows: QuerySet, relation: str = "", **where) -> QuerySet:
        """The first ``count`` ids of ``rows`` matching ``where`` in list order: by the
        event's own columns, or by those its grant (``relation``) carries. One ``filter``:
        conditions on a grant are on the same grant row, which the order uses too."""
        stamp, pk = (f"{relation}__reported_at", f"{relation}__content_object_id") if relation else ("reported_at", "id")
        if beyond is not None:
            where[f"{stamp}__{past}"] = beyond
        return rows.filter(**where).order_by(f"{sign}{stamp}", f"{sign}{pk}").values_list("pk", flat=True)[:count]

    sources = [first(events, reporter=user)]
    if scope.area_paths:
        sources.append(first(events, grid_id__in=Area.objects.filter(subtree_q(scope.area_paths)).values("id")))
    view = view_event_permission()
    holders = [("eventgroupobjectpermission", "group_id", group) for group in sorted(scope.group_ids)]
    holders.append(("eventuserobjectpermission", "user_id", user.pk))
    for relation, field, holder in holders:
        sources.append(first(events, relation, **{f"{relation}__{field}": holder, f"{relation}__permission_id": view}))
    return sources[0].union(*sources[1:], all=True)


# The position a statement is composed with (no event is this old), replaced by the
# page's own when it runs.
_BEYOND = datetime(1901, 1, 2, tzinfo=UTC)


def events_visible_candidates_statement(user, *, count: int, ascending: bool = False, beyond=None):
    """``events_visible_candidates`` of all events (no filter) as ``(sql, params)``,
    composed once per user, scope and page shape and kept (composing and compiling the
    union of the sources was a third of a department handler's list request); ``None``
    as there. The scope is part of the key, so a changed scope composes afresh.
    ``beyond`` is the cursor's position as the pagination gives it (text or a moment)."""
    from django.db import connection

    from events.models import Event

    if user is None or not user.is_authenticated or not user.is_active:
        return None  # (as events_visible_candidates answers them)
    statement = _candidates_statement(user, user_scope(user), count, ascending, beyond is not None)
    if statement is None:
        return None
    sql, params, places = statement
    params = list(params)
    if places:
        # What the ORM makes of the position (text parsed, a naive moment made aware; a
        # malformed one refused as it would refuse it).
        moment = Event._meta.get_field("reported_at").get_db_prep_value(beyond, connection)
        for index in places:
            params[index] = moment
    return sql, params


@functools.lru_cache(maxsize=1024)
def _candidates_statement(user, scope, count: int, ascending: bool, positioned: bool):
    """The statement, its parameters and the places of the position among them, for the
    user (equal to another instance with its key) and their ``scope``, which the
    composing reads; ``None`` when the sources are not read."""
    from events.models import Event

    candidates = events_visible_candidates(user, Event.objects.all(), count=count, ascending=ascending,
                                           beyond=_BEYOND if positioned else None)
    if candidates is None:
        return None
    sql, params = candidates.query.sql_with_params()
    places = tuple(index for index, value in enumerate(params) if value == _BEYOND)
    if positioned and not places:
        raise ValueError(f"the position's marker is not among the parameters: {sql}")
    return sql, tuple(params), places
