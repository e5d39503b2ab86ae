"""The three ways of asking whether someone may see an event agree: the list's scope
(``events_visible_to``), the single-row check pages use (``event_visible_to`` /
``access_event``) and the in-memory check the transition entry point makes on the event
it has locked (``may_see_event``), also for the events one event names
(``event_ids_visible_among``)."""

import pytest
from django.http import Http404
from guardian.shortcuts import assign_perm

from accounts.models import Role
from accounts.scoping import (
    access_event,
    event_ids_visible_among,
    event_visible_to,
    events_visible_to,
    may_see_event,
)
from events.models import Event
from workflow.services import event_transition

from ..conftest import INSIDE_G11


def _answers(user, event):
    listed = events_visible_to(user).filter(pk=event.pk).exists()
    single = event_visible_to(user, event.pk).exists()
    loaded = may_see_event(user, Event.objects.select_related("grid").get(pk=event.pk))
    named = event.pk in event_ids_visible_among(user, [event.pk, None])
    try:
        access_event(user, event.pk)
        accessed = True
    except Http404:
        accessed = False
    return listed, single, loaded, named, accessed


@pytest.mark.django_db
def test_every_person_gets_the_same_answer_from_each_check(cast, tree, departments, make_user, file, walk):
    # Events in three places: a dispatched one (department grant), a closed one after a
    # re-dispatch (the first department's grant revoked), one filed outside S1 by an
    # outsider, one granted to a single user, and one filed by a worker passing through
    # another grid (theirs through the filing only).
    dispatched = walk(file(), "dispatched")
    redispatched = walk(file(description="另一处垃圾"), "dispatched")
    event_transition(actor=cast["handler"], event_id=redispatched.pk, name="return", reason="不归我们管")
    event_transition(actor=cast["dispatcher"], event_id=redispatched.pk, name="dispatch", primary=departments["A_cg"].pk)
    outside = file(cast["outsider"], latitude=27.405, longitude=112.205, description="青树村的垃圾")
    granted = file(description="单独授权", **INSIDE_G11)
    reader = make_user(Role.GRID_WORKER, area=tree["G21"], username="g21_worker")
    district_handler = make_user(Role.DEPT_HANDLER, department=departments["A_cg"], username="a_handler")
    assign_perm("events.view_event", reader, granted)
    passing_by = file(cast["handler"], channel="api", description="路过月塘看到的井盖缺失")  # the reporter holds no area
    people = [*cast.values(), reader, district_handler, make_user(username="nobody")]
    events = [dispatched, redispatched, outside, granted, passing_by]
    seen = {}
    for person in people:
        for event in events:
            answers = _answers(person, event)
            assert len(set(answers)) == 1, (person.username, event.code, answers)
            seen[(person.username, event.pk)] = answers[0]
        # Many at once (a page's named events): one read, the grants only for the rest.
        for page in (False, True):
            assert event_ids_visible_among(person, [event.pk for event in events], page=page) == \
                {event.pk for event in events if seen[(person.username, event.pk)]}, person.username
        assert event_ids_visible_among(person, [events[0].pk], page=True) == \
            ({events[0].pk} if seen[(person.username, events[0].pk)] else set())
    # The checks are not all trivially true or false.
    expected = {
        ("s1_handler", dispatched.pk): True,
        ("s2_handler", dispatched.pk): False,
        ("s1_handler", redispatched.pk): False,
        ("a_handler", redispatched.pk): True,
        ("a_handler", dispatched.pk): False,
        ("g31_worker", outside.pk): True,
        ("s1_dispatcher", outside.pk): False,
        ("g21_worker", granted.pk): True,
        ("g21_worker", dispatched.pk): False,
        ("s1_handler", passing_by.pk): True,
        ("a_handler", passing_by.pk): False,
        ("nobody", dispatched.pk): False,
        ("root", outside.pk): True,
    }
    assert {key: seen[key] for key in expected} == expected


@pytest.mark.django_db
def test_a_transition_on_an_event_out_of_sight_answers_like_a_missing_one(cast, file, walk):
    event = walk(file(), "dispatched")
    with pytest.raises(Http404):
        event_transition(actor=cast["other_handler"], event_id=event.pk, name="sign")
    event.refresh_from_db()
    assert event.state == "dispatched"
    assert event_transition(actor=cast["handler"], event_id=event.pk, name="sign").state == "handling"


@pytest.mark.django_db
def test_the_list_scope_is_composed_once_per_scope_and_follows_a_changed_one(cast, tree, make_user, file, monkeypatch):
    """``events_visible_to`` keeps what it composed per user and scope: asked again it
    composes nothing; once the user's scope changes it composes afresh, and the list
    shows the new scope at once. Each caller gets a copy to chain on."""
    from accounts import scoping
    from accounts.services import role_grant

    composed = []
    original = scoping._events_visible
    monkeypatch.setattr(scoping, "_events_visible", lambda *args, **kwargs: composed.append(args[0]) or original(*args, **kwargs))
    scoping._events_visible_composed.cache_clear()
    worker = make_user(Role.GRID_WORKER, area=tree["G11"], username="memo_worker")
    mine = file(**INSIDE_G11)
    elsewhere = file(make_user(Role.GRID_WORKER, area=tree["G21"]), latitude=27.705, longitude=112.025)  # in G21
    first, second = events_visible_to(worker), events_visible_to(worker)
    assert first is not second and len(composed) == 1
    assert set(first.filter(pk__in=[mine.pk, elsewhere.pk]).values_list("pk", flat=True)) == {mine.pk}
    assert list(second.filter(pk=elsewhere.pk)) == []  # the first caller's filter did not reach the second's copy
    role_grant(actor=None, user=worker, role=Role.GRID_WORKER, area=tree["G21"])
    assert set(events_visible_to(worker).filter(pk__in=[mine.pk, elsewhere.pk]).values_list("pk", flat=True)) == {mine.pk, elsewhere.pk}
    assert len(composed) == 2
