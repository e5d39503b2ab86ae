"""A statement composed once (``governance.prepared``) reads what the queryset it was
made from reads: the same rows, the same select_related objects, the fields' converted
values, for any key; and it refuses keys of the wrong kind."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from events.models import OPEN_STATES, Event
from governance import serverprepared
from governance.prepared import Prepared

pytestmark = pytest.mark.django_db


def test_instances_with_their_related_objects_match_the_orm(file, cast):
    first = file(extra={"burst": True, "note": "水管"})
    second = file(cast["worker"], description="另一处", extra={"depth": 2})
    prepared = Prepared(lambda pk: Event.objects.select_related("grid", "category").defer("grid__boundary").filter(pk=pk))
    for event in (first, second):
        read = prepared.get(event.pk)
        orm = Event.objects.select_related("grid", "category").get(pk=event.pk)
        assert (read.pk, read.code, read.description, read.reported_at, read.state) == (
            orm.pk, orm.code, orm.description, orm.reported_at, orm.state)
        assert read.extra == orm.extra and isinstance(read.extra, dict)  # the JSON field's converter ran
        assert (read.grid.path, read.category.code) == (orm.grid.path, orm.category.code)
        assert "grid" in read._state.fields_cache  # no further query for the related object
    assert prepared.first(second.pk + 1000) is None
    with pytest.raises(Event.DoesNotExist):
        prepared.get(second.pk + 1000)


def test_rows_with_several_kinds_of_keys(file):
    event = file()
    prepared = Prepared(
        lambda pk, since, south: Event.objects.filter(pk=pk, reported_at__gte=since, latitude__gte=south).values_list(
            "pk", "grid__path"),
        markers=(-1, datetime(1901, 1, 1, tzinfo=UTC), -1.5),
    )
    assert prepared.rows(event.pk, event.reported_at - timedelta(hours=1), event.latitude - 0.01) == [
        (event.pk, event.grid.path)]
    assert prepared.rows(event.pk, event.reported_at + timedelta(hours=1), event.latitude - 0.01) == []
    assert prepared.rows(event.pk, event.reported_at - timedelta(hours=1), event.latitude + 0.01) == []
    for wrong in [(str(event.pk), event.reported_at, 1.0), (event.pk, "today", 1.0), (True, event.reported_at, 1.0),
                  (event.pk, event.reported_at)]:
        with pytest.raises(ValueError):
            prepared.rows(*wrong)


@pytest.mark.django_db(transaction=True)  # the statement runs once in a transaction and once in autocommit
def test_a_locking_statement_locks_and_refuses_to_run_outside_a_transaction(file):
    event = file()
    prepared = Prepared(lambda pk: Event.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert prepared.get(event.pk).pk == event.pk
    if connection.vendor == "postgresql":  # (SQLite has no row locks: the ORM runs there, and ignores them)
        assert "FOR UPDATE" in prepared._ready().sql
        with pytest.raises(TransactionManagementError):  # a lock outside a transaction would lock nothing
            prepared.get(event.pk)


def test_a_key_must_appear_once_in_the_statement(file):
    if connection.vendor != "postgresql":
        pytest.skip("statements are composed once on PostgreSQL only; elsewhere the ORM composes each")
    prepared = Prepared(lambda pk: Event.objects.filter(pk=pk, reporter_id=pk))
    with pytest.raises(ValueError, match="once"):
        prepared.first(1)


def test_constant_words_are_written_into_the_statement_so_one_generic_plan_serves(file):
    """The states of an ``IN`` list are constants of the statement's shape: written in as
    literals (the keys stay parameters), PostgreSQL keeps one generic plan that can use the
    partial index of open events, instead of planning the check afresh on every run."""
    if connection.vendor != "postgresql":
        pytest.skip("statements are composed once on PostgreSQL only; elsewhere the ORM composes each")
    event = file()
    prepared = Prepared(lambda pk, category: Event.objects.filter(pk=pk, category_id=category, state__in=OPEN_STATES,
                                                                   latitude__isnull=False).values_list("pk", flat=True),
                        keys=2)
    statement = prepared._ready()
    assert "'reported'" in statement.sql and "'verified'" in statement.sql
    assert sorted(statement.params) == [-730_002, -730_001]  # the keys alone are parameters
    for _run in range(8):  # from the second run in the process on, it runs as a prepared statement
        assert prepared.rows(event.pk, event.category_id) == [(event.pk,)]
        assert prepared.rows(event.pk, event.category_id + 1000) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = %s",
                       [serverprepared._statement(statement.sql)[0]])
        generic, custom = cursor.fetchone()
    assert custom <= 5 and generic >= 10  # PostgreSQL tries at most five custom plans, then keeps the generic one
    # A word that is a key stays a parameter; a constant that is not a plain word stays one too.
    mixed = Prepared(lambda pk: Event.objects.filter(pk=pk, description__startswith="50% off").values_list("pk", flat=True))
    assert [param for param in mixed._ready().params if isinstance(param, str)] == ["50\\% off%"]
    assert mixed.rows(event.pk) == []
