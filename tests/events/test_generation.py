"""Generated events: every state, consistent timelines and timers, usable by the sweep."""

from django.core.management import call_command

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
