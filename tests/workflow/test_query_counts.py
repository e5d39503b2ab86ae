"""Filing and transitions cost a fixed number of statements (pinned), and what they read
from memory instead of the database follows the rows it comes from: a new dispatcher is
notified, a changed SLA limit starts the next timers, a new subscription gets deliveries."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.services import role_grant
from governance import pipeline
from governance.cache import derived_clear_all
from tests.conftest import INSIDE_G11
from webhooks.models import WebhookDelivery, WebhookSubscription
from workflow.models import Notification, SLALimit, Stage, Timer
from workflow.services import event_file, event_transition

pytestmark = pytest.mark.django_db


def _file(cast, **extra):
    values = {"channel": "grid_worker", "description": "路边有一堆暴露垃圾", **INSIDE_G11, **extra}
    return event_file(actor=cast["worker"], category="0101", **values)[0]


@pytest.fixture
def subscribed(tree):
    return WebhookSubscription.objects.create(name="12345", url="https://hooks.example.org/in", secret="s" * 64)


@pytest.fixture
def warm(settings, django_capture_on_commit_callbacks):
    """As in production after the setup has committed: the grid index and the calendar
    checked at their production intervals, the day's sequence known to exist, the
    derived values computed once and then read from memory."""
    settings.GRID_INDEX_CHECK_SECONDS = 60.0  # (2 s in production; a slow test machine must not reach it)
    settings.WORK_CALENDAR_CHECK_SECONDS = 30.0

    def warm_up(action):
        derived_clear_all()  # the setup's rows count as committed
        with django_capture_on_commit_callbacks(execute=True):
            action()

    return warm_up


def _statements(action) -> tuple[list[str], int]:
    """The statements ``action`` ran, and the messages the driver sent for them (a held
    write rides with the next statement: governance.pipeline)."""
    sent = 0
    execute, flush = pipeline.Cursor.execute, pipeline.Connection.flush

    def counted_execute(cursor, *args, **kwargs):
        nonlocal sent
        sent += 1
        return execute(cursor, *args, **kwargs)

    def counted_flush(raw):
        nonlocal sent
        sent += bool(raw.held)
        return flush(raw)

    with (mock.patch.object(pipeline.Cursor, "execute", counted_execute),
          mock.patch.object(pipeline.Connection, "flush", counted_flush),
          CaptureQueriesContext(connection) as queries):
        action()
    return [query["sql"] for query in queries], sent


# Filing, with the caches warm: the duplicate hint, the event (with the day's number,
# taken by its INSERT), its timers, its timeline row, the webhook delivery, inside the test's savepoint pair (the
# small class, the grid, the reporter's scope, the SLA limits, the command center, its
# dispatchers and the subscriptions come from memory). The notifications' one INSERT goes
# through the driver's batch insert, which the capture does not see. The second figure
# counts the messages sent to the database (the notifications' insert among them): the
# timers' insert is held and rides with the timeline row's (governance.pipeline).
FILING, FILING_SENT = 7, 7


# The figures are PostgreSQL's statements (elsewhere the ORM writes what governance.rows
# composes there, and no write is held).
POSTGRES_STATEMENTS = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statements")


@pytest.mark.postgres
@POSTGRES_STATEMENTS
def test_filing_costs_a_fixed_number_of_statements(cast, subscribed, warm):
    warm(lambda: _file(cast))
    warm(lambda: _file(cast, description="第二堆"))  # prepared from the second run on
    statements, alone = _statements(lambda: _file(cast))
    assert (len(statements), alone) == (FILING, FILING_SENT), "\n".join(statements)
    event = _file(cast, description="又一堆垃圾")
    assert WebhookDelivery.objects.filter(event=event).count() == 1
    assert Notification.objects.filter(event=event, user=cast["dispatcher"]).count() == 1


# Each transition, inside the test's savepoint pair: the lock (by key) and the read of the
# event with its live timers (the actor's areas and filings are checked in memory, a
# department's grant with one more lookup), the timers stopped (one statement), the timers
# started (one INSERT), the event's row and the timeline row (one statement), the webhook
# delivery (the notifications' INSERT is not seen by the capture). Dispatch adds the
# department (its scope check), the assignments ended and written, the groups' grants (one
# INSERT … SELECT with the permission) and the stale grants removed. Accept also awards the
# reporting grid worker's points as the work is recorded (assessment.receivers): one
# INSERT … ON CONFLICT DO NOTHING for all the active rules (accepted report, valid report),
# the rules themselves read from memory.
# The last figure counts the messages sent to the database (the notifications' insert,
# when there are people to notify, among them): the lock, the timers stopped and started,
# the assignments, the grants and the points are held and ride with the next statement
# (governance.pipeline), so none of them costs a round trip of its own.
TRANSITIONS = [
    ("accept", "dispatcher", {}, 9, 5),
    ("dispatch", "dispatcher", {"primary": "S1_cg"}, 13, 7),
    ("sign", "handler", {}, 9, 6),
    ("feedback", "handler", {"result": "已清理"}, 9, 7),
]


@pytest.mark.postgres
@POSTGRES_STATEMENTS
def test_transitions_cost_a_fixed_number_of_statements(cast, departments, subscribed, warm):
    warming = [_file(cast), _file(cast, description="又一处")]  # twice: prepared from the second run on
    event = _file(cast, description="另一处")
    for name, who, params, pinned, sent in TRANSITIONS:
        params = {key: departments[value].pk if key == "primary" else value for key, value in params.items()}
        for first in warming:
            warm(lambda: event_transition(actor=cast[who], event_id=first.pk, name=name, **params))  # noqa: B023
        statements, alone = _statements(lambda: event_transition(actor=cast[who], event_id=event.pk, name=name, **params))  # noqa: B023
        assert (len(statements), alone) == (pinned, sent), (name, "\n".join(statements))


def test_a_new_dispatcher_is_notified_of_the_next_filing(cast, tree, make_user):
    _file(cast)
    newcomer = make_user(username="s1_newcomer")
    role_grant(actor=None, user=newcomer, role=Role.DISPATCHER, area=tree["S1"])
    event = _file(cast, description="新来的坐席也要知道")
    assert Notification.objects.filter(event=event, user=newcomer).exists()


def test_a_changed_limit_starts_the_next_timers(cast):
    first = _file(cast)
    limit = SLALimit.objects.get(policy__category__code="0101", policy__urgency="normal", stage=Stage.ACCEPT)
    limit.amount, limit.unit = 7, "days"
    limit.save()
    second = _file(cast, description="第二堆")
    before = Timer.objects.get(event=first, stage=Stage.ACCEPT)
    after = Timer.objects.get(event=second, stage=Stage.ACCEPT)
    assert (after.amount, after.unit) == (7, "days") != (before.amount, before.unit)


def test_a_new_subscription_gets_the_next_change(cast, tree):
    _file(cast)
    subscription = WebhookSubscription.objects.create(name="new", url="https://hooks.example.org/new", secret="s" * 64,
                                                      area=tree["S1"])
    event = _file(cast, description="订阅之后")
    assert WebhookDelivery.objects.filter(event=event, subscription=subscription).count() == 1
