"""Answers: the form's checks and problems, "nobody home" attempts, offline replay with
idempotency keys, the late rule, one-tap events, and the roll-up against a hand-worked
case and against a recount under concurrent answers from several connections."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from campaigns.answers import target_answer, target_event_file
from campaigns.counters import progress_drift
from campaigns.models import Answer, Progress, Target, TargetStatus
from campaigns.selectors import progress_rows
from campaigns.services import campaign_close, campaigns_close_due
from events.models import Event


def in_threads(work, count):
    """Run ``work(n)`` for n in 0..count-1 on as many threads (each its own connection) and wait."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def target(campaign, label):
    return Target.objects.select_related("grid").get(campaign=campaign, label=label)


def counts(campaign, area, worker=None):
    """The counters as the progress pages read them (a street's are summed from its grids)."""
    if worker is not None:
        row = Progress.objects.get(campaign=campaign, area=area, worker=worker)
    else:
        row = progress_rows(campaign, area)[0]
    return {"targets": row.targets, "visited": row.visited, "not_home": row.not_home, "problems": row.problems,
            "events": row.events}


@pytest.mark.django_db
def test_the_roll_up_of_a_hand_worked_case(registry, make_campaign, crew, tree):
    campaign = make_campaign()
    worker, g12_worker = crew["worker"], crew["g12_worker"]
    h1, h2, h4 = (target(campaign, label) for label in ("1栋1单元101 #H1", "1栋1单元102 #H2", "2栋1单元101 #H4"))
    # H1: nobody home twice, then visited without problem; H2: gas leak (a problem), filed;
    # H4: nobody home.
    target_answer(actor=worker, target=h1, outcome="not_home", idempotency_key="k1")
    target_answer(actor=worker, target=h1, outcome="not_home", idempotency_key="k2")
    target_answer(actor=worker, target=h1, outcome="visited", idempotency_key="k3", values={"has_gas": "no"})
    answer, _ = target_answer(actor=worker, target=h2, outcome="visited", idempotency_key="k4",
                              values={"has_gas": "yes", "leak": "yes", "hose_age": "3"}, latitude=27.705, longitude=112.005)
    assert answer.problems == ["leak"] and answer.form_version == 1 and answer.by == worker
    event, created = target_event_file(actor=worker, target=h2, idempotency_key="e1")
    assert created and event.channel == "grid_worker" and event.grid == tree["G11"] and "是否有泄漏" in event.description
    target_answer(actor=g12_worker, target=h4, outcome="not_home", idempotency_key="k5")

    assert target(campaign, "1栋1单元101 #H1").attempts == 3
    assert counts(campaign, tree["G11"]) == {"targets": 2, "visited": 2, "not_home": 0, "problems": 1, "events": 1}
    assert counts(campaign, tree["G12"]) == {"targets": 1, "visited": 0, "not_home": 1, "problems": 0, "events": 0}
    assert counts(campaign, tree["S1"]) == {"targets": 3, "visited": 2, "not_home": 1, "problems": 1, "events": 1}
    assert counts(campaign, tree["G11"], worker) == counts(campaign, tree["G11"])
    assert progress_drift(campaign) == []


@pytest.mark.django_db
def test_form_checks_conditions_and_required_fields(registry, make_campaign, crew):
    campaign = make_campaign()
    h1 = target(campaign, "1栋1单元101 #H1")
    with pytest.raises(ValidationError) as error:
        target_answer(actor=crew["worker"], target=h1, outcome="visited", idempotency_key="a",
                      values={"has_gas": "yes", "hose_age": "abc"})
    assert set(error.value.message_dict) == {"leak", "hose_age"}
    # The condition is not met: the leak question is not asked, its stray answer dropped.
    answer, _ = target_answer(actor=crew["worker"], target=h1, outcome="visited", idempotency_key="b",
                              values={"has_gas": "no", "leak": "yes"})
    assert answer.values == {"has_gas": "no"} and answer.problems == []
    # A hose older than five years is a problem too.
    h2 = target(campaign, "1栋1单元102 #H2")
    answer, _ = target_answer(actor=crew["worker"], target=h2, outcome="visited", idempotency_key="c",
                              values={"has_gas": "yes", "leak": "no", "hose_age": "8"})
    assert answer.problems == ["hose_age"]
    assert Answer.objects.count() == 2


@pytest.mark.django_db
def test_offline_replay_applies_once(registry, make_campaign, crew, tree):
    campaign = make_campaign()
    h1 = target(campaign, "1栋1单元101 #H1")
    for _ in range(3):
        answer, created = target_answer(actor=crew["worker"], target=h1, outcome="not_home", idempotency_key="same")
    assert not created and Answer.objects.count() == 1
    assert target(campaign, h1.label).attempts == 1
    assert counts(campaign, tree["S1"])["not_home"] == 1
    with pytest.raises(ValidationError):  # someone else's key
        target_answer(actor=crew["g11_parttime"], target=h1, outcome="not_home", idempotency_key="same")
    # The event is filed once however often the tap is sent.
    target_answer(actor=crew["worker"], target=h1, outcome="visited", idempotency_key="v",
                  values={"has_gas": "yes", "leak": "yes"})
    first, _ = target_event_file(actor=crew["worker"], target=h1, idempotency_key="tap")
    again, created = target_event_file(actor=crew["worker"], target=h1, idempotency_key="tap-2")
    assert again == first and not created and Event.objects.count() == 1
    assert counts(campaign, tree["S1"])["events"] == 1


@pytest.mark.django_db
def test_the_late_rule(registry, make_campaign, crew):
    today = timezone.localdate()
    past = {"starts_on": today - datetime.timedelta(days=10), "ends_on": today - datetime.timedelta(days=1)}
    strict = make_campaign(**past)
    assert campaigns_close_due(today=today) == 1 and campaigns_close_due(today=today) == 0
    with pytest.raises(ValidationError, match="late answers are not accepted"):
        target_answer(actor=crew["worker"], target=target(strict, "1栋1单元101 #H1"), outcome="not_home", idempotency_key="x")
    lenient = make_campaign(allow_late=True, **past)
    campaign_close(actor=crew["dispatcher"], campaign=lenient)
    answer, _ = target_answer(actor=crew["worker"], target=target(lenient, "1栋1单元101 #H1"), outcome="visited",
                              idempotency_key="y", values={"has_gas": "no"})
    assert answer.late and target(lenient, "1栋1单元101 #H1").late


@pytest.mark.django_db
def test_only_the_grids_staff_answer(registry, make_campaign, crew):
    campaign = make_campaign()
    with pytest.raises(PermissionDenied):
        target_answer(actor=crew["g12_worker"], target=target(campaign, "1栋1单元101 #H1"), outcome="not_home",
                      idempotency_key="z")
    # A moved-out target is closed.
    h2 = target(campaign, "1栋1单元102 #H2")
    Target.objects.filter(pk=h2.pk).update(status=TargetStatus.MOVED_OUT)
    with pytest.raises(ValidationError):
        target_answer(actor=crew["worker"], target=h2, outcome="not_home", idempotency_key="w")


@pytest.mark.django_db(transaction=True)
def test_counters_never_drift_under_concurrent_answers(registry, make_campaign, crew, tree, reference_data):
    """Several connections answer the same targets at once (visits, not-home attempts,
    replays of the same keys); the maintained counters equal a recount."""
    from tests.campaigns.conftest import _household, _room

    for number in range(12):
        _household(tree["G11" if number % 2 else "G12"], f"X{number}", _room(tree["G11" if number % 2 else "G12"], "5栋", "1单元", f"{number}"), 1)
    campaign = make_campaign()
    targets = list(Target.objects.filter(campaign=campaign).select_related("grid"))
    actors = {tree["G11"].pk: crew["worker"], tree["G12"].pk: crew["g12_worker"]}
    errors = []
    barrier = threading.Barrier(4)

    def work(thread):
        try:
            barrier.wait()
            # Each connection walks the targets from another starting point, so different
            # targets of the same grid and street are answered at the same moment.
            start = thread * len(targets) // 4
            for round_ in range(3):
                for index, item in list(enumerate(targets))[start:] + list(enumerate(targets))[:start]:
                    outcome = "visited" if (index + round_ + thread) % 3 == 0 else "not_home"
                    values = {"has_gas": "yes", "leak": "yes" if index % 2 else "no"} if outcome == "visited" else {}
                    try:
                        # Keys shared between threads: the same answer sent from two connections.
                        target_answer(actor=actors[item.grid_id], target=item, outcome=outcome, values=values,
                                      idempotency_key=f"{item.pk}-{round_}-{(thread + index) % 2}")
                    except ValidationError:
                        pass  # not home after a visit: refused, counted nowhere
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    in_threads(work, 4)
    assert errors == []
    assert Answer.objects.filter(target__campaign=campaign).count() > len(targets)
    assert progress_drift(campaign) == []
    street = progress_rows(campaign, tree["S1"])[0]
    assert street.visited == Target.objects.filter(campaign=campaign, status="done").count() > 0


@pytest.mark.django_db
def test_workers_behind_schedule_are_reminded_once_a_day(registry, make_campaign, crew, tree):
    from campaigns.reminders import campaign_reminders_send
    from campaigns.selectors import grids_behind
    from campaigns.tasks import campaigns_daily_task
    from workflow.models import Notification

    today = timezone.localdate()
    # Half the period gone: G11's worker has visited one of two targets (on schedule),
    # G12's worker none of one (behind).
    campaign = make_campaign(starts_on=today - datetime.timedelta(days=4), ends_on=today + datetime.timedelta(days=5))
    target_answer(actor=crew["worker"], target=target(campaign, "1栋1单元101 #H1"), outcome="visited",
                  idempotency_key="r1", values={"has_gas": "no"})
    assert campaign_reminders_send(today=today) == 1
    assert campaign_reminders_send(today=today) == 0
    assert campaigns_daily_task() == {"closed": 0, "reminded": 0}
    note = Notification.objects.get(kind="campaign_behind")
    assert note.user == crew["g12_worker"] and "0 of 1" in note.title
    assert [row.area for row in grids_behind(crew["dispatcher"], campaign, today)] == [tree["G12"]]


@pytest.mark.django_db(transaction=True)
def test_two_phones_tapping_at_once_file_one_event(registry, make_campaign, crew, reference_data):
    campaign = make_campaign()
    h1 = target(campaign, "1栋1单元101 #H1")
    target_answer(actor=crew["worker"], target=h1, outcome="visited", idempotency_key="v",
                  values={"has_gas": "yes", "leak": "yes"})
    barrier, results, errors = threading.Barrier(2), [], []

    def tap(actor, key):
        try:
            barrier.wait()
            results.append(target_event_file(actor=actor, target=h1, idempotency_key=key))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tap, args=(crew[who], who)) for who in ("worker", "g11_parttime")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and Event.objects.count() == 1
    assert sorted(created for _event, created in results) == [False, True]
    assert progress_drift(campaign) == []


@pytest.mark.django_db(transaction=True)
def test_batches_and_single_answers_at_once_never_drift(registry, make_campaign, crew, tree, reference_data):
    """Phones' queues (``answers_record_many``) and single answers from four connections
    at once in the same grid, replaying each other's keys: no deadlock, each key recorded
    once, and the counters equal a recount (they drift when the batch sets its counter
    rows without locking them)."""
    from campaigns.answers_many import answers_record_many
    from tests.campaigns.conftest import _household, _room

    for number in range(20):
        _household(tree["G11"], f"Y{number}", _room(tree["G11"], "6栋", "1单元", f"{number}"), 1)
    campaign = make_campaign()
    targets = list(Target.objects.filter(campaign=campaign, grid=tree["G11"]).select_related("grid", "campaign__area"))
    errors, barrier = [], threading.Barrier(4)

    def item(target, index, round_):
        visited = (index + round_) % 2 == 0
        return {"target": target, "idempotency_key": f"m-{target.pk}-{round_}", "outcome": "visited" if visited else "not_home",
                "values": {"has_gas": "yes", "leak": "yes" if index % 3 == 0 else "no"} if visited else {}}

    def work(thread):
        try:
            barrier.wait()
            # Batches answer one half of the grid's targets, single answers the other
            # half, so only the grid's counter rows stand between them.
            mine = targets[:len(targets) // 2] if thread % 2 else targets[len(targets) // 2:]
            for round_ in range(6):
                order = mine[thread:] + mine[:thread]
                if thread % 2:
                    answers_record_many(actor=crew["worker"], items=[item(t, i, round_) for i, t in enumerate(order)])
                else:
                    for index, target in enumerate(order):
                        try:
                            target_answer(actor=crew["worker"], target=target, **{
                                key: value for key, value in item(target, index, round_).items() if key != "target"})
                        except ValidationError:
                            pass  # not home after a visit: refused
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    in_threads(work, 4)
    assert errors == []
    keys = list(Answer.objects.filter(target__campaign=campaign).values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys)) > len(targets)
    assert progress_drift(campaign) == []
