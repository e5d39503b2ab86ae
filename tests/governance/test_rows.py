"""Rows written by statements composed once (``governance.rows``) are the rows the ORM
writes: the same values read back, the instance's key and state set, ``auto_now`` kept,
a receiver of ``pre_save``/``post_save`` still called (through the ORM), a missing row
refused."""

import datetime

import pytest
from django.db import DatabaseError, connection
from django.db.models import F
from django.db.models.signals import post_save
from django.utils import timezone

from events.models import Event
from governance.rows import row_insert, row_update, row_update_and_insert, rows_insert
from workflow.models import Stage, TimelineEntry, Timer

pytestmark = pytest.mark.django_db


def _columns(obj):
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_an_inserted_row_reads_back_as_the_orm_wrote_it(file, cast):
    event = file()
    moment = timezone.now() - datetime.timedelta(hours=3)
    mine = row_insert(TimelineEntry(event=event, at=moment, actor=cast["worker"], actor_kind="user", transition="note",
                                    from_state="reported", to_state="reported", note="现场“照片”", data={"a": [1, "二"]}))
    orms = TimelineEntry.objects.create(event=event, at=moment, actor=cast["worker"], actor_kind="user", transition="note",
                                        from_state="reported", to_state="reported", note="现场“照片”", data={"a": [1, "二"]})
    assert mine.pk and not mine._state.adding and mine._state.db == "default"
    read = TimelineEntry.objects.get(pk=mine.pk)
    assert {**_columns(read), "id": None} == {**_columns(TimelineEntry.objects.get(pk=orms.pk)), "id": None}
    assert read.data == {"a": [1, "二"]} and read.at == moment


def test_several_rows_in_one_statement_get_their_keys_in_order(file):
    event = file()
    now = timezone.now()
    Timer.objects.filter(event=event).delete()
    timers = [Timer(event=event, stage=stage, amount=2, unit="hours", started_at=now, due_at=now, warn_at=now,
                    escalate_at=now) for stage in (Stage.ACCEPT, Stage.HANDLE, Stage.TOTAL)]
    rows_insert(timers)
    assert [Timer.objects.get(pk=timer.pk).stage for timer in timers] == [Stage.ACCEPT, Stage.HANDLE, Stage.TOTAL]


def test_an_update_writes_the_fields_named_and_auto_now(file):
    event = file()
    before = Event.objects.get(pk=event.pk)
    event.description = "改过的描述"
    event.address = "不写这一栏"
    row_update(event, ["description", "updated_at"])
    after = Event.objects.get(pk=event.pk)
    assert after.description == "改过的描述" and after.address == before.address
    assert after.updated_at > before.updated_at and after.updated_at == event.updated_at


def test_an_update_of_a_missing_row_is_refused(file):
    event = file()
    Event.objects.filter(pk=event.pk).update(description="x")
    ghost = Event.objects.get(pk=event.pk)
    ghost.pk = 10**12
    with pytest.raises(DatabaseError):
        row_update(ghost, ["description"])


def test_a_receiver_and_an_expression_go_through_the_orm(file, cast):
    event = file()
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append(instance.pk)

    post_save.connect(receiver, sender=TimelineEntry)
    try:
        entry = row_insert(TimelineEntry(event=event, at=timezone.now(), actor=None, actor_kind="system",
                                         transition="note", from_state="reported", to_state="reported"))
    finally:
        post_save.disconnect(receiver, sender=TimelineEntry)
    assert heard == [entry.pk]
    event.return_count = F("return_count") + 2
    row_update(event, ["return_count"])
    assert Event.objects.get(pk=event.pk).return_count == 2


def test_an_update_and_an_insert_in_one_statement(file, cast):
    event = file()
    event.description = "一起写"
    entry = TimelineEntry(event=event, at=timezone.now(), actor=cast["worker"], actor_kind="user", transition="note",
                          from_state="reported", to_state="reported")
    row_update_and_insert(event, ["description", "updated_at"], entry)
    assert Event.objects.get(pk=event.pk).description == "一起写"
    assert TimelineEntry.objects.get(pk=entry.pk).transition == "note"
    event.pk = 10**12  # no such row: refused, though the insert ran (the transaction rolls back both)
    with pytest.raises(DatabaseError):
        row_update_and_insert(event, ["description"], TimelineEntry(
            event_id=Event.objects.first().pk, at=timezone.now(), actor=None, actor_kind="system", transition="note",
            from_state="reported", to_state="reported"))


def _samples():
    """Values of the types a field may skip ``get_db_prep_save`` with, and a few it may not."""
    aware = timezone.now()
    return [None, "", "现场", 0, 7, -3, True, False, 1.5, 2.0, aware, aware.replace(tzinfo=None),
            datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=8))), datetime.date(2026, 1, 1),
            Stage.ACCEPT]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statements composed once are PostgreSQL's")
def test_every_value_a_model_field_sends_as_it_is_is_what_the_field_would_send():
    """The shortcut past ``get_db_prep_save`` (``governance.rows._prepared``), over every
    concrete field of every model: where it passes a value on as it is, the field itself
    gives that value back unchanged (an equal value of the same type)."""
    import warnings

    from django.apps import apps

    from governance.rows import _prepared

    passed = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            for value in _samples():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # (a naive datetime, a value of the wrong type)
                    try:
                        expected = field.get_db_prep_save(value, connection)
                    except Exception:  # noqa: BLE001 (the field refuses the value)
                        continue
                    (mine,) = _prepared([field], [value], connection)
                if mine is value:
                    passed += 1
                    assert expected == value and type(expected) is type(value), (model, field.name, value)
                    assert not (isinstance(value, datetime.datetime) and value.tzinfo is None)
    assert passed > 1000  # (the shortcut is taken: the test would prove nothing otherwise)


def test_a_naive_moment_is_made_aware_as_the_orm_does(file, cast):
    event = file()
    naive = datetime.datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001 (naive on purpose)
    with pytest.warns(RuntimeWarning):
        mine = row_insert(TimelineEntry(event=event, at=naive, actor=cast["worker"], actor_kind="user", transition="note",
                                        from_state="reported", to_state="reported"))
    assert TimelineEntry.objects.get(pk=mine.pk).at == timezone.make_aware(naive)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="values computed by the statement: PostgreSQL")
def test_values_computed_by_the_statement_land_in_their_own_column_of_each_row_and_are_read_back(file, cast):
    event = file()
    moment = timezone.now()
    entries = [TimelineEntry(event=event, at=moment, actor=cast["worker"], actor_kind="user", transition="note",
                             from_state="reported", to_state="reported", note="ignored", data={"n": number})
               for number in range(3)]
    # A field in the middle of the row, with a parameter of its own, in every row.
    rows_insert(entries, computed={"note": ("SELECT upper(%s) || '-' || count(*) FROM events_event", ["noted"])})
    assert [entry.note for entry in entries] == ["NOTED-1"] * 3
    read = {entry.pk: (entry.note, entry.data, entry.to_state) for entry in TimelineEntry.objects.filter(pk__in=[e.pk for e in entries])}
    assert read == {entry.pk: ("NOTED-1", {"n": number}, "reported") for number, entry in enumerate(entries)}
    with pytest.raises(ValueError, match="notes"):
        rows_insert([TimelineEntry(event=event, at=moment, transition="note")], computed={"notes": ("SELECT 1", [])})
