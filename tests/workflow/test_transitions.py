"""Every declared transition from every state: allowed where declared, refused
elsewhere with the reason; who may fire what; the timeline and timers it leaves."""

import pytest
from django.http import Http404

from events.models import ClosureType
from workflow.machine import MACHINE, TRANSITIONS, Actor, State
from workflow.models import ChangeRequest, Stage, TimelineEntry, Timer, TimerState
from workflow.services import TransitionRefused, event_transition

# Which fixture user fires a transition in the table test.
ACTOR_USER = {
    Actor.DISPATCHER: "dispatcher", Actor.HANDLER: "handler", Actor.VERIFIER: "worker", Actor.LEADER: "leader",
    Actor.RATER: "dispatcher", Actor.REPORTER: "worker", Actor.SYSTEM: "dispatcher", Actor.DEPT_ADMIN: "dept_admin",
}


def reach(state, *, file, walk, cast):
    if state == State.REJECTED:
        return event_transition(actor=cast["dispatcher"], event_id=file().pk, name="reject", reason="无效")
    if state == State.MERGED:
        target = file()
        return event_transition(actor=cast["dispatcher"], event_id=file().pk, name="merge", into=target.pk)
    return walk(file(), state)


def params_for(name, event, *, cast, file, departments):
    """Valid parameters, and the preconditions some transitions need."""
    handler, dispatcher = cast["handler"], cast["dispatcher"]
    if name == "merge":
        return {"into": file().pk}
    if name == "assign":
        return {"assignee": handler.pk}
    if name == "dispatch":
        return {"primary": departments["S1_cg"].pk, "assisting": [departments["A_cg"].pk]}
    if name in ("approve_postponement", "deny_postponement"):
        event_transition(actor=handler, event_id=event.pk, name="request_postponement", reason="材料未到", amount=2, unit="work_days")
    if name in ("approve_suspension", "deny_suspension", "resume"):
        requester = handler if event.state != State.ACCEPTED else dispatcher
        event_transition(actor=requester, event_id=event.pk, name="request_suspension", reason="等待司法鉴定")
    if name == "resume":
        event_transition(actor=dispatcher, event_id=event.pk, name="approve_suspension")
    return {
        "reason": "理由", "result": "已处理", "rating": "satisfied", "amount": 2, "unit": "work_days", "note": "备注",
    }


STATES = [state for state in State]
FIRED = [transition for transition in TRANSITIONS if transition.sources]


@pytest.mark.parametrize("state", STATES, ids=[state.value for state in STATES])
@pytest.mark.parametrize("transition", FIRED, ids=[transition.name for transition in FIRED])
def test_every_transition_from_every_state(transition, state, file, walk, cast, departments):
    event = reach(state, file=file, walk=walk, cast=cast)
    actor = cast[ACTOR_USER[transition.actors[0]]]
    if state not in transition.sources:
        # A department that was never given the event cannot even see it (404).
        with pytest.raises((TransitionRefused, Http404)) as refusal:
            event_transition(actor=actor, event_id=event.pk, name=transition.name,
                             **params_for("none", event, cast=cast, file=file, departments=departments))
        if refusal.type is TransitionRefused:
            assert refusal.value.code in ("state", "forbidden")
            if refusal.value.code == "state":
                assert str(transition.label) in refusal.value.reason
        event.refresh_from_db()
        assert event.state == state
        return
    if state == State.ACCEPTED and transition.actors[0] == Actor.HANDLER:
        actor = cast[ACTOR_USER[transition.actors[1]]]  # no department holds it yet
    params = params_for(transition.name, event, cast=cast, file=file, departments=departments)
    before = TimelineEntry.objects.filter(event=event).count()

    after = event_transition(actor=actor, event_id=event.pk, name=transition.name, **params)

    expected = transition.target_for(event) if not transition.keeps_state else state
    assert after.state == expected
    assert TimelineEntry.objects.filter(event=event).count() == before + 1
    entry = TimelineEntry.objects.filter(event=event).last()
    assert (entry.transition, entry.from_state, entry.to_state) == (transition.name, state, expected)


def test_the_declared_table_covers_the_design(db):
    names = set(MACHINE)
    for name in ("accept", "reject", "merge", "dispatch", "return", "sign", "feedback", "request_postponement",
                 "approve_postponement", "deny_postponement", "request_suspension", "approve_suspension", "resume", "assign",
                 "escalate", "supervise", "verify_pass", "verify_fail", "assess", "close", "close_special", "archive"):
        assert name in names


def test_refusal_names_who_may_act(file, cast):
    event = file()
    with pytest.raises(TransitionRefused) as refusal:
        event_transition(actor=cast["worker"], event_id=event.pk, name="accept")
    assert refusal.value.code == "forbidden"
    assert "command center" in refusal.value.reason


def test_out_of_scope_actor_gets_404(file, cast):
    event = file()
    with pytest.raises(Http404):
        event_transition(actor=cast["outsider"], event_id=event.pk, name="accept")


def test_guard_reasons_are_shown(file, cast):
    event = file()
    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="accept")
    with pytest.raises(TransitionRefused) as refusal:
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch")
    assert refusal.value.code == "guard"
    assert refusal.value.reason == "Choose the primary department."
    with pytest.raises(TransitionRefused) as refusal:
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="reject", reason="  ")


def test_dispatch_grants_the_departments_access_and_only_the_primary_handles(file, walk, cast, departments, make_user):
    from accounts.models import Role
    from accounts.scoping import events_visible_to

    assisting_handler = make_user(Role.DEPT_HANDLER, department=departments["A_cg"])
    event = walk(file(), State.ACCEPTED)
    assert not events_visible_to(cast["handler"]).filter(pk=event.pk).exists()

    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch",
                     primary=departments["S1_cg"].pk, assisting=[departments["A_cg"].pk])

    assert events_visible_to(cast["handler"]).filter(pk=event.pk).exists()
    assert events_visible_to(assisting_handler).filter(pk=event.pk).exists()
    assert not events_visible_to(cast["other_handler"]).filter(pk=event.pk).exists()
    with pytest.raises(TransitionRefused):
        event_transition(actor=assisting_handler, event_id=event.pk, name="sign")
    assert event_transition(actor=cast["handler"], event_id=event.pk, name="sign").state == State.HANDLING


def test_an_assisting_department_named_twice_is_assigned_once(file, walk, cast, departments):
    from events.models import EventDepartment

    event = walk(file(), State.ACCEPTED)
    assisting = departments["A_cg"].pk
    event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch",
                     primary=departments["S1_cg"].pk, assisting=[assisting, assisting])
    assert sorted(EventDepartment.objects.filter(event=event).values_list("department_id", "role")) == sorted(
        [(departments["S1_cg"].pk, "primary"), (assisting, "assisting")])


def test_rework_is_counted_and_goes_back_to_the_department(file, walk, cast):
    event = walk(file(), State.HANDLED)
    event = event_transition(actor=cast["worker"], event_id=event.pk, name="verify_fail", reason="垃圾未清理干净")
    assert (event.state, event.rework_count) == (State.HANDLING, 1)
    assert Timer.objects.filter(event=event, stage=Stage.HANDLE).exclude(state=TimerState.STOPPED).count() == 1


def test_postponement_moves_the_deadline(file, walk, cast):
    event = walk(file(), State.HANDLING)
    due = Timer.objects.get(event=event, stage=Stage.HANDLE).due_at
    event_transition(actor=cast["handler"], event_id=event.pk, name="request_postponement", reason="需采购配件", amount=2,
                     unit="work_days")
    with pytest.raises(TransitionRefused):
        event_transition(actor=cast["handler"], event_id=event.pk, name="request_postponement", reason="再延", amount=1,
                         unit="work_days")
    event = event_transition(actor=cast["dispatcher"], event_id=event.pk, name="approve_postponement")
    assert Timer.objects.get(event=event, stage=Stage.HANDLE).due_at > due
    assert event.postpone_count == 1
    assert ChangeRequest.objects.get(event=event).status == "approved"


def test_suspension_pauses_the_clock_and_resume_moves_the_deadlines(file, walk, cast):
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    event = walk(file(), State.HANDLING)
    handle = Timer.objects.get(event=event, stage=Stage.HANDLE)
    event_transition(actor=cast["handler"], event_id=event.pk, name="request_suspension", reason="等待鉴定")
    event = event_transition(actor=cast["leader"], event_id=event.pk, name="approve_suspension")
    assert event.is_suspended
    assert Timer.objects.get(pk=handle.pk).state == TimerState.PAUSED
    with pytest.raises(TransitionRefused):
        event_transition(actor=cast["handler"], event_id=event.pk, name="feedback", result="done")
    with freeze_time(timezone.now() + timedelta(days=7)):
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="resume")
    resumed = Timer.objects.get(pk=handle.pk)
    assert resumed.state == TimerState.RUNNING
    assert resumed.due_at > handle.due_at


def test_escalation_moves_the_case_to_the_district(file, walk, cast):
    event = walk(file(), State.DISPATCHED)
    event = event_transition(actor=cast["dispatcher"], event_id=event.pk, name="escalate", note="街道无法协调")
    assert event.state == State.ACCEPTED
    assert event.command_area.level == "district"
    assert event.primary_department is None
    # The street's dispatcher is no longer the command center for it; the district's is.
    with pytest.raises(TransitionRefused):
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch", primary=1)
    event = event_transition(actor=cast["district_dispatcher"], event_id=event.pk, name="escalate")
    assert (event.command_area.level, event.escalation_level) == ("city", 2)
    # The city has no command center above it.
    with pytest.raises(TransitionRefused) as refusal:
        event_transition(actor=cast["admin"], event_id=event.pk, name="escalate")
    assert refusal.value.code == "guard"
    assert refusal.value.reason == "There is no higher command center to escalate to."


def test_reporter_rates_through_the_link_without_an_account(client, file, walk, cast):
    event = walk(file(), State.VERIFIED)
    assert event.rating_token

    page = client.get(f"/events/rate/{event.rating_token}/")
    assert page.status_code == 200
    client.post(f"/events/rate/{event.rating_token}/", {"rating": "basically_satisfied", "comment": "还行"})

    event.refresh_from_db()
    assert (event.state, event.rating, event.closure_type) == (State.CLOSED, "basically_satisfied", ClosureType.NORMAL)
    assert event.rating_token is None
    assert TimelineEntry.objects.filter(event=event, transition="assess", actor_kind="reporter").exists()
    assert client.get(f"/events/rate/{'x' * 32}/").status_code == 404


def test_the_entry_point_takes_a_rating_token_only_for_its_own_event(file, walk):
    # Pages look the event up by its token first; the entry point holds the same rule.
    event, other = walk(file(), State.VERIFIED), walk(file(description="另一处垃圾"), State.VERIFIED)
    for token in (other.rating_token, "x" * 32, "评价", ""):
        with pytest.raises(Http404):
            event_transition(actor=None, event_id=event.pk, name="rate", token=token, rating="satisfied")
    event_transition(actor=None, event_id=event.pk, name="rate", token=event.rating_token, rating="satisfied")
    with pytest.raises(Http404):  # used once: the token is gone
        event_transition(actor=None, event_id=other.pk, name="rate", token=event.rating_token, rating="satisfied")


def test_onsite_resolution_goes_to_the_grid_leader_for_verification(cast, file):
    event = file(category="0601", description="邻里因漏水争吵", resolved_on_site=True, result="已现场调解")
    assert (event.state, event.handler) == (State.HANDLED, cast["worker"])
    with pytest.raises(TransitionRefused):
        event_transition(actor=cast["worker"], event_id=event.pk, name="verify_pass")
    event = event_transition(actor=cast["grid_leader"], event_id=event.pk, name="verify_pass")
    assert event.state == State.VERIFIED


def test_archive_freezes_the_dossier(file, walk, cast):
    event = walk(file(), State.ARCHIVED)
    assert event.dossier["code"] == event.code
    assert [row["transition"] for row in event.dossier["timeline"]][:3] == ["report", "accept", "dispatch"]


@pytest.fixture
def verified_resident_report(cast, walk, reference_data, tree, django_capture_on_commit_callbacks):
    """A resident's report with ``contact``, verified with the worker's queue run in-process."""
    from governance.celery import app
    from governance.handoff import hand_off_wait
    from workflow.services import event_file

    def verify(contact):
        app.conf.task_always_eager = True
        try:
            event, _created = event_file(actor=None, channel="resident", category="0101", description="楼下垃圾",
                                         latitude=27.705, longitude=112.005, reporter_contact=contact)
            event = walk(event, State.HANDLED)
            with django_capture_on_commit_callbacks(execute=True):
                event = event_transition(actor=cast["worker"], event_id=event.pk, name="verify_pass")
            assert hand_off_wait()  # the hand-off thread ran the task (eagerly here)
            return event
        finally:
            app.conf.task_always_eager = False

    return verify


def test_a_resident_reporter_gets_the_rating_link_by_email(verified_resident_report, mailoutbox):
    event = verified_resident_report("wang@example.org")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["wang@example.org"]
    assert f"/events/rate/{event.rating_token}/" in mailoutbox[0].body


def test_a_resident_reporter_gets_the_rating_link_by_sms(verified_resident_report, settings, mailoutbox):
    from tests.sms_gateway import RecordingSmsGateway

    settings.SMS_GATEWAY = "tests.sms_gateway.RecordingSmsGateway"
    RecordingSmsGateway.sent.clear()
    event = verified_resident_report("138 0013 8000")
    assert "****" in event.reporter_contact  # only the mask is stored; the SMS went to the decrypted number
    assert [message["phone"] for message in RecordingSmsGateway.sent] == ["13800138000"]
    text = RecordingSmsGateway.sent[0]["text"]
    # In the platform's language (Chinese), whatever language the verifier used.
    assert f"/events/rate/{event.rating_token}/" in text and "评价" in text
    assert mailoutbox == []


@pytest.mark.parametrize("event_id", [2**63, -(2**63) - 1, "12x"])
def test_an_event_id_no_key_can_hold_is_no_such_event(cast, event_id):
    with pytest.raises(Http404):
        event_transition(actor=cast["dispatcher"], event_id=event_id, name="accept")
