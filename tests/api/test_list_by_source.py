"""A list read source by source of visibility (``accounts.visible_pages``) shows what the
scope shows, in the same order, page after page, forwards and back, with any filter:
the sources only narrow the scoped query, so a source left out or read in the wrong
order would lose rows, which these walks would see."""

import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import Role
from accounts.scoping import events_visible_to, forget_scope
from accounts.services import role_grant, role_revoke
from accounts.visible_pages import events_visible_candidates
from events.models import Event, EventGroupObjectPermission, EventUserObjectPermission, Light, light_filter
from workflow.services import event_transition

from ..conftest import INSIDE_G11

# The sources are read on PostgreSQL; SQLite (the embedded mode) cannot limit each part of
# a UNION, so there a department's list is the scoped query (the walks above still hold).
SOURCES_READ = pytest.mark.skipif(connection.vendor != "postgresql", reason="the sources are read on PostgreSQL")

# In G21 (street S2), outside the street of the handler's department.
INSIDE_G21 = {"latitude": 27.705, "longitude": 112.025}


def _cursor(link):
    return parse_qs(urlparse(link).query)["cursor"][0] if link else None


def _walk(http, query: str, size: int):
    """Every page forwards, then every page back from the last; the ids in list order."""
    pages, url = [], f"/api/v1/events/?page_size={size}&{query}"
    while url:
        answer = http.get(url)
        assert answer.status_code == 200, answer.content
        body = answer.json()
        pages.append([row["id"] for row in body["results"]])
        url = body["next"]
    back, url = [pages[-1]], None
    last = http.get(f"/api/v1/events/?page_size={size}&{query}&cursor={_cursor(body['previous'])}") if body["previous"] else None
    while last is not None:
        page = last.json()
        back.insert(0, [row["id"] for row in page["results"]])
        last = http.get(page["previous"]) if page["previous"] else None
    return [pk for page in pages for pk in page], [pk for page in back for pk in page]


@pytest.fixture
def city(cast, departments, tree, make_user, file, walk):
    """Events at distinct and at equal moments: dispatched to the street's 城管 (some
    re-dispatched away, revoking the grant), to the district's, one granted to a single
    handler, one the handler filed, and the rest only in the streets' subtrees."""
    start = timezone.now() - datetime.timedelta(days=3)
    moments = [start + datetime.timedelta(minutes=7 * n) for n in range(12)]
    moments[5] = moments[4]  # a tie: the order falls back on the id
    events = []
    for number, moment in enumerate(moments):
        where = INSIDE_G11 if number % 3 else INSIDE_G21
        actor = cast["worker"] if where is INSIDE_G11 else make_user(Role.GRID_WORKER, area=tree["G21"], username=f"g21_w{number}")
        events.append(file(actor, description=f"第{number}号", reported_at=moment, **where))
    for event in events[0:12:2]:
        if event.grid.path.startswith(tree["S1"].path):
            walk(event, "dispatched")
    away = next(event for event in events[0:12:2] if event.grid.path.startswith(tree["S1"].path))
    event_transition(actor=cast["handler"], event_id=away.pk, name="return", reason="不归我们管")
    event_transition(actor=cast["dispatcher"], event_id=away.pk, name="dispatch", primary=departments["A_cg"].pk)
    assign_perm("events.view_event", cast["handler"], events[1])
    assign_perm("events.view_event", cast["other_handler"], events[3])
    events.append(file(cast["handler"], channel="api", description="路过看到", reported_at=moments[4], **INSIDE_G11))
    # A handler who also holds an area role: the subtree is one more source.
    mixed = make_user(Role.DEPT_HANDLER, department=departments["A_cg"], username="a_handler_and_worker")
    role_grant(actor=None, user=mixed, role=Role.GRID_WORKER, area=tree["G21"])
    forget_scope(mixed)
    return {"events": events, "mixed": mixed, "district_handler": make_user(Role.DEPT_HANDLER, department=departments["A_cg"],
                                                                             username="a_handler")}


@pytest.mark.django_db
@pytest.mark.parametrize("query, condition", [
    ("", Q()), ("state=dispatched", Q(state="dispatched")), ("state=reported", Q(state="reported")),
    ("category=01", Q(category__parent__code="01")), ("urgency=normal", Q(urgency="normal")),
    ("overdue=false", lambda: ~light_filter(Light.RED, timezone.now())), ("overdue=true", lambda: light_filter(Light.RED, timezone.now())),
    ("reported_after=2000-01-01T00:00:00Z", Q()),
])
def test_each_page_is_the_scoped_list_in_order_forwards_and_back(as_user, cast, city, query, condition):
    people = [cast["handler"], cast["other_handler"], cast["dept_admin"], city["mixed"], city["district_handler"]]
    lists = {}
    for person in people:
        where = condition() if callable(condition) else condition  # the clock read when the test runs
        expected = list(events_visible_to(person).filter(where, pk__in=[event.pk for event in city["events"]])
                        .order_by("-reported_at", "-id").values_list("pk", flat=True))
        http = as_user(person)
        for size in (1, 2, 3, 50):
            forwards, backwards = _walk(http, query, size)
            assert forwards == expected, (person.username, query, size)
            assert backwards == expected, (person.username, query, size)
        lists[person.username] = expected
    if not query:  # the sources are not all empty or all alike
        assert len(lists["s1_handler"]) >= 5 and lists["s1_handler"] != lists["s2_handler"]
        assert set(lists["a_handler_and_worker"]) > set(lists["a_handler"])


@pytest.mark.django_db
@pytest.mark.postgres
@SOURCES_READ
def test_the_sources_narrow_a_departments_list_and_leave_others_alone(cast, city):
    events = Event.objects.filter(pk__in=[event.pk for event in city["events"]])
    # A department's handler: read source by source; what they read is a superset of the page.
    ids = set(events_visible_candidates(cast["handler"], events, count=2))
    page = list(events_visible_to(cast["handler"]).order_by("-reported_at", "-id").values_list("pk", flat=True)[:2])
    assert set(page) <= ids and ids < {event.pk for event in city["events"]}
    # Nobody's events come from nowhere; no grants to walk: the scoped query as it is.
    assert events_visible_candidates(cast["dispatcher"], events, count=2) is None
    assert events_visible_candidates(cast["admin"], events, count=2) is None


@pytest.mark.django_db
def test_every_grant_carries_its_events_moment(cast, city, departments):
    grants = list(EventGroupObjectPermission.objects.select_related("content_object")) + \
        list(EventUserObjectPermission.objects.select_related("content_object"))
    assert len(grants) >= 5
    assert all(grant.reported_at == grant.content_object.reported_at for grant in grants)


@pytest.mark.django_db
@pytest.mark.postgres
@SOURCES_READ
def test_a_departments_list_costs_one_statement_more_than_the_scoped_one(as_user, cast, city, file, walk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = as_user(cast["handler"])
    http.get("/api/v1/categories/")  # the first request records the key's use
    counts = []
    for _round in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert http.get("/api/v1/events/").status_code == 200
        counts.append(len(queries))
        for _new in range(3):
            walk(file(), "dispatched")
    # As the pinned lists (tests/api/test_query_counts.py: 8 for events), plus the sources' one
    # statement, plus one: the named duplicates outside the handler's areas asked of the grants.
    assert counts == [10, 10]


@pytest.mark.django_db
@pytest.mark.postgres
@SOURCES_READ
def test_a_candidate_changed_between_the_two_statements_leaves_no_hole(as_user, cast, city, monkeypatch):
    """A colleague's transition between the sources' statement and the page's: the page
    reads the scoped query instead of ending early."""
    import events.api.views as views

    read_first = views.events_visible_candidates

    def then_changed(*args, **kwargs):
        ids = list(read_first(*args, **kwargs))
        newest = Event.objects.filter(pk__in=ids, state="dispatched").order_by("-reported_at", "-id").first()
        Event.objects.filter(pk=newest.pk).update(state="handling")  # as if signed in the meantime
        return Event.objects.filter(pk__in=ids).values_list("pk", flat=True)  # the same ids, as a statement

    monkeypatch.setattr(views, "events_visible_candidates", then_changed)
    http = as_user(cast["handler"])
    answer = http.get("/api/v1/events/?page_size=1&state=dispatched").json()
    expected = list(events_visible_to(cast["handler"]).filter(state="dispatched").order_by("-reported_at", "-id")
                    .values_list("pk", flat=True))
    assert len(expected) >= 2
    assert [row["id"] for row in answer["results"]] == expected[:1] and answer["next"]


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigger fills it")
def test_a_grant_written_in_bulk_gets_its_events_moment_too(cast, city, departments):
    """django-guardian's bulk helpers skip ``save``: the database fills the moment in."""
    group = departments["S2_cg"].group
    events = Event.objects.filter(pk__in=[event.pk for event in city["events"][:4]])
    assign_perm("events.view_event", group, events)  # one bulk_create
    grants = EventGroupObjectPermission.objects.filter(group=group, content_object__in=events).select_related("content_object")
    assert len(grants) == 4 and all(grant.reported_at == grant.content_object.reported_at for grant in grants)


@pytest.mark.django_db
def test_a_list_checks_its_filters_once(as_user, cast, city, monkeypatch):
    """The scoped query, the sources and the page are filtered by one validated filter set."""
    import events.api.views as views

    made = []
    original = views.EventFilter.__init__

    def counted(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(views.EventFilter, "__init__", counted)
    http = as_user(cast["handler"])
    answer = http.get("/api/v1/events/?page_size=2&state=dispatched&state=handling")
    assert answer.status_code == 200 and answer.json()["results"]
    assert len(made) == 1
    assert http.get("/api/v1/events/?state=nonsense").status_code == 400


@pytest.mark.django_db
def test_a_filter_that_selects_nothing_gives_an_empty_page(as_user, cast, city, tree):
    """Every source empty (an area outside the handler's scope): an empty page, not an error."""
    http = as_user(cast["handler"])
    answer = http.get(f"/api/v1/events/?area={tree['B'].pk}")
    assert answer.status_code == 200 and answer.json()["results"] == []
    assert http.get("/api/v1/events/?area=999999999").json()["results"] == []


@pytest.mark.django_db
def test_an_unfiltered_list_composes_its_sources_once_per_scope_and_shape(as_user, cast, city, departments, monkeypatch):
    """Without filters the union of the sources is composed once per user, scope and page
    shape (``events_visible_candidates_statement``); a changed scope composes afresh, so
    the list follows the new scope at once."""
    from accounts import visible_pages

    composed = []
    original = visible_pages.events_visible_candidates
    monkeypatch.setattr(visible_pages, "events_visible_candidates",
                        lambda *args, **kwargs: composed.append(kwargs) or original(*args, **kwargs))
    visible_pages._candidates_statement.cache_clear()
    handler = cast["handler"]

    def expected():
        return list(events_visible_to(handler).filter(pk__in=[event.pk for event in city["events"]])
                    .order_by("-reported_at", "-id").values_list("pk", flat=True))

    before = expected()
    assert len(before) >= 3
    http = as_user(handler)
    assert _walk(http, "", 1) == (before, before)
    shapes = len(composed)  # the first page; the next ones (a position); the previous ones (ascending); offsets
    assert 3 <= shapes and {(kwargs["ascending"], kwargs["beyond"] is None) for kwargs in composed} == {
        (False, True), (False, False), (True, False)}
    assert _walk(http, "", 1) == (before, before)
    assert len(composed) == shapes  # the second walk composed nothing
    # The handler moves to the district's department: their list is that department's now.
    role_revoke(actor=None, assignment=handler.role_assignments.get(revoked_at__isnull=True))
    role_grant(actor=None, user=handler, role=Role.DEPT_HANDLER, department=departments["A_cg"])
    forget_scope(handler)
    after = expected()
    assert after != before
    assert _walk(http, "", 1) == (after, after)
    assert len(composed) > shapes
