"""Held writes (governance.pipeline) run exactly once, in order, and only with their
transaction: before the next statement (reads of the same rows included), before the
commit when nothing follows, never after a rollback; their values arrive as written."""

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from governance.pipeline import hold, holding

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(connection.vendor != "postgresql", reason="held by PostgreSQL's driver (elsewhere a write runs at once)")]

NOTE = "50% 的'引号'与 %s 和 %(name)s"


@pytest.fixture
def probe():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE pipeline_probe (id integer PRIMARY KEY, note text NOT NULL)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE pipeline_probe")


def _rows(params=None) -> list:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, note FROM pipeline_probe ORDER BY id", params)
        return cursor.fetchall()


def _insert(pk: int, note: str = NOTE) -> None:
    hold(connection, "INSERT INTO pipeline_probe (id, note) VALUES (%s, %s)", [pk, note])


def test_a_held_write_runs_before_the_next_statement_which_reads_it(probe):
    with transaction.atomic():
        assert holding(connection)
        _insert(1)
        assert connection.connection.held  # not sent yet
        assert _rows(()) == [(1, NOTE)]  # the next statement, with parameters, carried it
        _insert(2, "无参数")
        assert _rows() == [(1, NOTE), (2, "无参数")]  # and without
        assert not connection.connection.held


def test_a_held_write_with_nothing_after_it_is_committed(probe):
    with transaction.atomic():
        _insert(1)
        _insert(2)
        assert len(connection.connection.held) == 2
    assert not connection.connection.held
    assert _rows() == [(1, NOTE), (2, NOTE)]


def test_a_rolled_back_transaction_leaves_nothing_held_or_written(probe):
    with pytest.raises(RuntimeError), transaction.atomic():
        _insert(1)
        assert connection.connection.held
        raise RuntimeError("the caller fails before anything else runs")
    assert not connection.connection.held
    assert _rows() == []


def test_a_savepoint_rolled_back_undoes_its_own_held_writes_only(probe):
    with transaction.atomic():
        _insert(1)
        with pytest.raises(RuntimeError), transaction.atomic():
            _insert(2)
            assert len(connection.connection.held) == 1  # the first rode with the savepoint
            raise RuntimeError
        _insert(3)
    assert _rows() == [(1, NOTE), (3, NOTE)]


def test_a_failing_write_held_inside_a_savepoint_rolled_back_is_dropped_unsent(probe):
    with transaction.atomic():
        _insert(1)
        with pytest.raises(RuntimeError), transaction.atomic():
            _insert(1)  # would fail; the savepoint is rolled back before anything carries it
            raise RuntimeError
        _insert(2)
    assert _rows() == [(1, NOTE), (2, NOTE)]


def test_a_held_write_failing_where_its_error_is_caught_makes_the_commit_fail_not_vanish(probe):
    """Its error surfaces at the statement that carries it (here a savepoint's): a caller
    that catches it must not get a commit that PostgreSQL silently turns into a rollback."""
    with pytest.raises(InternalError), transaction.atomic():
        _insert(1)
        _insert(1)
        try:
            with transaction.atomic():  # the SAVEPOINT carries the two inserts; the second fails
                pass
        except IntegrityError:
            pass  # taken by the caller for its own
    assert _rows() == []


def test_a_statement_the_driver_cannot_format_loses_nothing_held(probe):
    with transaction.atomic():
        _insert(1)
        with pytest.raises((IndexError, TypeError)), connection.cursor() as cursor:
            cursor.execute("SELECT %s, %s", [1])  # one value for two places: refused before anything is sent
        assert connection.connection.held
        assert _rows() == [(1, NOTE)]


def test_composed_and_batched_statements_come_after_what_is_held(probe):
    from psycopg2 import sql

    with transaction.atomic():
        _insert(1)
        with connection.cursor() as cursor:
            cursor.cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("pipeline_probe")))
            assert cursor.fetchone() == (1,)
            _insert(2)
            cursor.executemany("UPDATE pipeline_probe SET note = %s WHERE id = %s", [("一", 1), ("二", 2)])
    assert _rows() == [(1, "一"), (2, "二")]


def test_a_failing_held_write_fails_its_transaction_and_nothing_of_it_is_kept(probe):
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert(1)
        _insert(1)  # the same key: fails when it is sent, with the commit
        assert len(connection.connection.held) == 2
    assert not connection.connection.held
    assert _rows() == []


def test_outside_a_transaction_a_write_runs_at_once(probe):
    assert not holding(connection)
    _insert(1)
    assert not connection.connection.held
    assert _rows() == [(1, NOTE)]


def test_a_server_side_cursor_and_a_copy_see_what_was_held(probe):
    import io

    with transaction.atomic():
        _insert(1)
        assert connection.connection.held
        with connection.chunked_cursor() as cursor:
            cursor.execute("SELECT note FROM pipeline_probe")
            assert cursor.fetchall() == [(NOTE,)]
        _insert(2)
        assert connection.connection.held
        with connection.cursor() as cursor:
            out = io.StringIO()
            cursor.copy_expert("COPY pipeline_probe (id) TO STDOUT", out)
            assert out.getvalue().split() == ["1", "2"]


def test_held_writes_are_counted_as_statements(probe):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        _insert(1)
        _rows()
    held = [query for query in queries if query.get("held")]
    assert len(held) == 1 and "50% 的''引号''与 %s 和 %(name)s" in held[0]["sql"]  # its values, as sent


def test_a_cursor_of_another_class_gets_what_is_held_sent_first(probe):
    import psycopg2.extensions

    with transaction.atomic():
        _insert(1)
        with connection.connection.cursor(cursor_factory=psycopg2.extensions.cursor) as other:
            assert not connection.connection.held  # sent when the cursor was made
            other.execute("SELECT note FROM pipeline_probe")
            assert other.fetchall() == [(NOTE,)]
