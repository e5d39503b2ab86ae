"""Generated events: every state, consistent timelines and timers, usable by the sweep."""

import pytest
from django.core.management import call_command
from django.db import connection

from events.models import Event
from grids.models import Area
from workflow.machine import OPEN_STATES, State
from workflow.models import TimelineEntry, Timer


def test_generate_city_with_events(db, reference_data, capsys):
    call_command("generate_city", "--grids", "24", "--seed", "3", "--events", "600")
    out = capsys.readouterr().out
    assert "600 events" in out
    city = Area.objects.get(code="439900000000")
    events = Event.objects.filter(grid__path__startswith=city.path)
    assert events.count() == 600
    states = set(events.values_list("state", flat=True))
    assert {State.REPORTED, State.HANDLING, State.CLOSED, State.ARCHIVED, State.REJECTED} <= states
    assert len(set(events.values_list("code", flat=True))) == 600
    for event in events.order_by("?")[:40]:
        entries = list(TimelineEntry.objects.filter(event=event).order_by("at", "id"))
        assert entries[0].transition == "report"
        assert entries[-1].to_state == event.state
        assert all(a.to_state == b.from_state for a, b in zip(entries, entries[1:], strict=False))
        live = Timer.objects.filter(event=event).exclude(state="stopped")
        if event.state in OPEN_STATES:
            assert live.filter(stage="total").count() == 1
        else:
            assert not live.exists()


def test_add_a_month_of_events_to_an_existing_city(db, reference_data, capsys):
    from datetime import date

    from django.core.management import CommandError
    from django.utils import timezone

    call_command("generate_city", "--grids", "24", "--seed", "3")
    call_command("generate_city", "--add-events", "--events", "800", "--span-days", "31", "--until", "2026-11-01",
                 "--seed", "5")
    assert "800 events" in capsys.readouterr().out
    events = Event.objects.all()
    days = {timezone.localdate(moment) for moment in events.values_list("reported_at", flat=True)}
    assert min(days) >= date(2026, 10, 1) and max(days) <= date(2026, 10, 31)
    # Variety for the assessment ratios: reworked, postponed and suspended events.
    assert events.filter(rework_count__gt=0).exists()
    assert events.filter(postpone_count__gt=0).exists()
    assert events.filter(is_suspended=True).exists()
    for event in events.filter(rework_count__gt=0)[:10]:
        entries = list(TimelineEntry.objects.filter(event=event).order_by("at", "id"))
        assert "verify_fail" in [entry.transition for entry in entries]
        assert all(a.to_state == b.from_state for a, b in zip(entries, entries[1:], strict=False))
    for event in events.filter(is_suspended=True)[:10]:
        assert not Timer.objects.filter(event=event, state="running").exists()
    with pytest.raises(CommandError, match="no city"):
        call_command("generate_city", "--add-events", "--events", "5", "--city-code", "439800000000")


def test_generated_events_of_today_take_numbers_the_next_filing_does_not_reuse(file, tree):
    """Filings on PostgreSQL number from a sequence per day that the generator's counter
    rows never see: events generated for a day that already has filings continue after
    them, and the next filing continues after the generated ones (no duplicate code)."""
    from django.utils import timezone

    from events.generation import events_generate_at
    from events.models import Category

    first = file()
    ids = events_generate_at(city=tree["city"], reports=[
        {"grid_id": tree["G11"].pk, "reported_at": timezone.now(), "category_id": Category.objects.get(code="0101").pk},
    ])
    generated = Event.objects.get(pk=ids[0])
    after = file()
    day = first.code.partition("-")[0]
    numbers = [int(code.rpartition("-")[2]) for code in (first.code, generated.code, after.code)]
    assert [code.partition("-")[0] for code in (generated.code, after.code)] == [day, day]
    assert numbers[0] < numbers[1] < numbers[2]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a sequence per day on PostgreSQL")
def test_generated_events_continue_after_a_day_past_999999_filings(file, tree, django_capture_on_commit_callbacks):
    """Past 999999 a day's numbers grow a digit: the generator reads the day's highest by
    number, not as text (where "-999999" sorts after "-1000000")."""
    from django.utils import timezone

    from events.generation import events_generate_at
    from events.models import Category

    with django_capture_on_commit_callbacks(execute=True):
        day = file().code.partition("-")[0]
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SEQUENCE event_code_{day} RESTART WITH 999999")
    assert [file().code, file().code] == [f"{day}-999999", f"{day}-1000000"]
    ids = events_generate_at(city=tree["city"], reports=[
        {"grid_id": tree["G11"].pk, "reported_at": timezone.now(), "category_id": Category.objects.get(code="0101").pk},
    ])
    assert Event.objects.get(pk=ids[0]).code == f"{day}-1000001"
    assert file().code == f"{day}-1000002"
