"""The light follows the clock between sweeps: pages, the home tiles and the API show
yellow once the warning time has passed and red once the deadline has, before any
sweep; the sweep and the transitions keep the times the light turns at."""

from datetime import timedelta

from freezegun import freeze_time

from events.models import Event, Light
from workflow.models import Stage, Timer
from workflow.services import event_transition
from workflow.sweep import timers_sweep


def test_the_light_turns_by_the_clock_before_any_sweep(client, file, cast):
    event = file()  # accept within 30 minutes: warning at 24
    accept = Timer.objects.get(event=event, stage=Stage.ACCEPT)
    event.refresh_from_db()
    assert (event.yellow_at, event.red_at) == (accept.warn_at, accept.due_at)
    client.force_login(cast["dispatcher"])
    for moment, light in ((accept.warn_at - timedelta(minutes=1), Light.GREEN), (accept.warn_at, Light.YELLOW),
                          (accept.due_at + timedelta(seconds=1), Light.RED)):
        with freeze_time(moment):
            assert Event.objects.get(pk=event.pk).light == Light.GREEN  # nothing swept
            page = client.get(f"/events/{event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
            home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").context["panels"]["command"]
            listed = client.get("/api/v1/events/").json()["results"]
            inbox = {wanted: [row.pk for row in client.get(f"/events/?light={wanted}").context["events"]]
                     for wanted in (Light.GREEN, Light.YELLOW, Light.RED)}
        assert f'class="light light-{light}"' in page
        # The inbox's light filter agrees with the light the rows show.
        assert {wanted: event.pk in found for wanted, found in inbox.items()} == {
            wanted: wanted == light for wanted in (Light.GREEN, Light.YELLOW, Light.RED)}
        assert (home["yellow"], home["red"]) == ({Light.YELLOW: 1}.get(light, 0), {Light.RED: 1}.get(light, 0))
        assert [row["light"] for row in listed if row["id"] == event.pk] == [light]


def test_the_sweep_and_transitions_move_the_times(file, cast):
    event = file()
    accept = Timer.objects.get(event=event, stage=Stage.ACCEPT)
    timers_sweep(now=accept.warn_at)
    event.refresh_from_db()
    assert event.light == Light.YELLOW and event.yellow_at != accept.warn_at  # the next yellow: another timer's
    assert event.red_at == accept.due_at
    event = event_transition(actor=cast["dispatcher"], event_id=event.pk, name="accept")
    dispatch = Timer.objects.get(event=event, stage=Stage.DISPATCH)
    assert (event.light, event.yellow_at, event.red_at) == (Light.GREEN, dispatch.warn_at, dispatch.due_at)
