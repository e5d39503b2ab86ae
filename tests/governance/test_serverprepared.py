"""Statements prepared once per connection (``governance.serverprepared``) give what the
statement gives run as it is: the same rows, one statement counted per run (the one that
prepares included), the driver's errors as Django's, a statement PostgreSQL will not
prepare run as it is in a transaction that stays usable, nothing prepared for a statement
run once or when it is turned off."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from governance import serverprepared
from workflow.models import TimelineEntry

pytestmark = [pytest.mark.django_db, pytest.mark.postgres,
              pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")]


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _run(sql, params):
    with connection.cursor() as cursor:
        serverprepared.execute(cursor, sql, params)
        return cursor.fetchall()


def test_a_statement_runs_prepared_with_the_rows_it_gives_as_it_is():
    sql = "SELECT %s::bigint * 2, %s || '%%', length(%s)"
    with connection.cursor() as cursor:
        cursor.execute(sql, [21, "五", "网格"])
        plain = cursor.fetchall()
    with CaptureQueriesContext(connection) as first:
        assert _run(sql, [21, "五", "网格"]) == plain == [(42, "五%", 2)]
    assert serverprepared._statement(sql)[0] not in _prepared_names()  # run once: as it is
    with CaptureQueriesContext(connection) as second:
        assert _run(sql, [4, "", ""]) == [(8, "%", 0)]
    with CaptureQueriesContext(connection) as third:
        assert _run(sql, [5, "a", "bc"]) == [(10, "a%", 2)]
    assert len(first) == len(second) == len(third) == 1  # the PREPARE is the connection's, not counted
    assert first[0]["sql"].startswith("SELECT 21")
    assert second[0]["sql"].startswith("EXECUTE gov_") and third[0]["sql"].startswith("EXECUTE gov_")
    assert serverprepared._statement(sql)[0] in _prepared_names()


def test_the_statements_of_a_transition_are_prepared(cast, file):
    from workflow.services import event_transition

    for event in (file(), file(description="又一堆垃圾")):
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="accept")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'gov_%%'")
        prepared = " ".join(statement for (statement,) in cursor.fetchall())
    # The lock, the timers' stop, the event's row with its timeline row, the points.
    for part in ("FOR UPDATE", "WITH stopped AS", "WITH updated AS", "INSERT INTO assessment_pointentry"):
        assert part in prepared


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_survives_the_rollback_that_prepared_it():
    sql = "SELECT %s::int + 1"
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _run(sql, [1]) == [(2,)]
        assert _run(sql, [2]) == [(3,)]  # prepared here
        assert serverprepared._statement(sql)[0] in _prepared_names()
        raise RuntimeError
    assert serverprepared._statement(sql)[0] in _prepared_names()
    assert _run(sql, [3]) == [(4,)]


def test_its_errors_are_djangos_and_the_transaction_behaves_as_with_any_statement(cast, file):
    event = file()
    row = TimelineEntry.objects.filter(event=event).first()
    sql = ("INSERT INTO workflow_timelineentry (id, event_id, at, actor_kind, transition, from_state, to_state, note, data) "
           "VALUES (%s, %s, now(), 'user', 'note', 'reported', 'reported', '', '{}')")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        serverprepared.execute(cursor, sql, [row.pk, event.pk])  # the same key: refused
    assert TimelineEntry.objects.filter(event=event).count() == 1


def test_a_statement_postgresql_cannot_prepare_runs_as_it_is():
    sql = "SELECT %s + %s"  # two parameters of unknown type: PREPARE refuses it
    with transaction.atomic():
        assert _run(sql, [1, 2]) == [(3,)]
        assert _run(sql, [1, 2]) == [(3,)]  # refused here
        assert _run("SELECT 1", []) == [(1,)]  # the transaction is still usable
    assert sql in serverprepared._refused
    assert serverprepared._statement(sql)[0] not in _prepared_names()


def test_turned_off_nothing_is_prepared(settings):
    settings.DB_PREPARED_STATEMENTS = False
    sql = "SELECT %s::int * 3"
    assert _run(sql, [2]) == [(6,)]
    with CaptureQueriesContext(connection) as queries:
        assert _run(sql, [3]) == [(9,)]
    assert queries[0]["sql"] == "SELECT 3::int * 3"
    assert serverprepared._statement(sql)[0] not in _prepared_names()


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    sql = "SELECT %s::int - 1"
    assert _run(sql, [5]) == [(4,)]
    assert _run(sql, [5]) == [(4,)]
    connection.close()
    assert _run(sql, [5]) == [(4,)]
    assert serverprepared._statement(sql)[0] in _prepared_names()


def test_in_an_aborted_transaction_the_statement_fails_as_it_would_have():
    from django.db import DatabaseError

    sql = "SELECT %s::int * 5"
    assert _run(sql, [0]) == [(0,)]  # seen once
    with pytest.raises(DatabaseError), transaction.atomic():
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")
        _run(sql, [1])  # the transaction is aborted: Django's error, and the statement is not given up on
    assert sql not in serverprepared._refused
    assert _run(sql, [2]) == [(10,)]


def test_an_error_other_than_a_refusal_is_djangos_and_refuses_nothing(monkeypatch):
    """A PREPARE that fails otherwise than by PostgreSQL refusing the statement as written
    (here a constant that is no number, class 22) is raised as Django's error, and the
    statement is not given up on."""
    from django.db import DataError

    sql = "SELECT %s::int * 7"
    assert _run(sql, [1]) == [(7,)]
    monkeypatch.setitem(serverprepared._names, sql, ("gov_test_data_error", "SELECT 'x'::int + $1::int", 1))
    with pytest.raises(DataError), transaction.atomic():
        _run(sql, [2])
    assert sql not in serverprepared._refused
