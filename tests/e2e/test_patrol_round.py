"""A patrol round on a 360 px phone: the worker starts a round, the geolocation moves
along a path, two items are checked, a finding is filed with a photo while the network
is cut, the network comes back and the queue sends everything once, the round ends;
the command center sees the track and the finding on the round's map."""

import pytest

from events.models import Event
from patrols.catalogue import catalogue_seed
from patrols.models import PatrolCheck, PatrolFinding, PatrolItem, PatrolRound, TrackPoint
from residents.models import Building
from tests.e2e.conftest import DESKTOP, G11_POSITION, PHONE, login, photo_file, wait_until

pytestmark = pytest.mark.e2e

PATH = [(27.7050, 112.0050), (27.7053, 112.0052), (27.7056, 112.0055), (27.7059, 112.0057), (27.7062, 112.0060)]


def waiting(page) -> int:
    return int(page.locator("#queue-status").get_attribute("data-waiting") or "0")


def open_slot(page, item, *, block=""):
    """Open the item's panel and its first slot's check form. The click waits for the
    accordion's animation to end: a click while another panel collapses lands where the
    button was a moment before (seen on a loaded CI machine: the form never opened)."""
    page.locator(f'[data-bs-target="{block or "#"}item-{item.pk}"]').click()
    wait_until(page, "document.querySelector('.collapsing') === null")
    button = page.locator(f'{block + "walk-block " if block else ""}.slot-button[data-item="{item.pk}"]').first
    button.wait_for(state="visible")
    button.click()
    page.locator(f"{block or '#'}check-form").wait_for(state="visible")


def check(page, item, *, result):
    open_slot(page, item)
    page.click(f'label[for="result-{result}"]')
    page.fill("#check-form textarea[name=note]", "楼道有杂物" if result == "problem" else "")
    page.click("#check-save")
    wait_until(page, "document.getElementById('check-form').hidden")


def test_a_patrol_round_on_a_phone_survives_a_cut_network(open_context, cast, tree):
    catalogue_seed()
    Building.objects.create(grid=tree["G11"], name="1号楼", lat=27.7055, lon=112.0054)
    garbage = PatrolItem.objects.get(code="0901")  # 暴露垃圾: the whole grid, daily
    fire_lane = PatrolItem.objects.get(code="0201")  # 消防通道: each building, weekly

    phone = open_context(PHONE, geolocation=G11_POSITION)
    worker = login(phone, "g11_worker")
    worker.goto("/patrols/")
    with worker.expect_navigation():
        worker.click("#start-round")
    assert "/patrols/rounds/" in worker.url
    round = PatrolRound.objects.get()

    # Walk along the path: the phone reports each position.
    for lat, lon in PATH:
        phone.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 8})
        worker.wait_for_timeout(400)
    wait_until(worker, "document.getElementById('gps-status').textContent.indexOf('27.706') !== -1")

    check(worker, garbage, result="done")
    wait_until(worker, "document.getElementById('queue-status').dataset.waiting === '0'")
    assert PatrolCheck.objects.filter(round=round).count() == 1

    # The network is cut: the second check and the finding stay queued on the phone.
    phone.set_offline(True)
    check(worker, fire_lane, result="problem")
    # The problem pre-fills the finding (the item's small class 消防通道堵塞).
    assert worker.locator("#finding-category").input_value() == fire_lane.current.default_category.code
    worker.locator("#finding-photos").set_input_files([photo_file("lane.png")])
    worker.click("#finding-file")
    wait_until(worker, "document.getElementById('queue-status').dataset.waiting >= '2'")
    assert PatrolCheck.objects.filter(round=round).count() == 1
    assert PatrolFinding.objects.count() == 0
    assert "离线" in worker.inner_text("#queue-status") or "Offline" in worker.inner_text("#queue-status")

    # The network is back: everything is sent, once.
    phone.set_offline(False)
    wait_until(worker, "document.getElementById('queue-status').dataset.waiting === '0'", timeout=30_000)
    assert PatrolCheck.objects.filter(round=round).count() == 2
    assert worker.locator("#queue-failed").is_hidden(), worker.inner_text("#queue-failed")
    finding = PatrolFinding.objects.get()
    assert finding.item_check.item_id == fire_lane.pk
    event = finding.event
    assert event.channel == "patrol" and event.attachments.count() == 1
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # End the round (the confirmation is accepted); the page shows the round as ended.
    worker.on("dialog", lambda dialog: dialog.accept())
    with worker.expect_navigation(timeout=30_000):
        worker.click("#end-round")
    round.refresh_from_db()
    assert round.status == "ended"
    assert TrackPoint.objects.filter(round=round).count() >= len(PATH)
    assert round.distance_m > 100

    # The command center sees the round on the map: the track and the finding.
    desk = open_context(DESKTOP)
    dispatcher = login(desk, "s1_dispatcher")
    dispatcher.goto(f"/patrols/rounds/{round.pk}/")
    wait_until(dispatcher, "document.getElementById('round-map').dataset.findings === '1'")
    assert int(dispatcher.locator("#round-map").get_attribute("data-points")) >= len(PATH)
    assert dispatcher.locator("path.track-segment").count() >= 1
    assert Event.objects.get(pk=event.pk).code in dispatcher.inner_text("#round-findings")
    assert dispatcher.locator("#round-checks tbody tr").count() == 2


def test_a_round_started_without_a_connection_is_sent_when_it_is_back(open_context, cast, tree):
    """The worker taps "start" with no connection: the round is walked on the patrols page
    itself (its start and everything behind it queued by the round's key); when the
    connection is back the queue creates the round, then its check and track, once."""
    catalogue_seed()
    garbage = PatrolItem.objects.get(code="0901")  # 暴露垃圾: the whole grid, daily
    phone = open_context(PHONE, geolocation=G11_POSITION)
    worker = login(phone, "g11_worker")
    worker.goto("/patrols/")
    block = f"#g{tree['G11'].code}-"
    phone.set_offline(True)
    worker.click("#start-round")
    worker.locator(f"{block}walk-block").wait_for(state="visible")
    assert "/patrols/rounds/" not in worker.url and PatrolRound.objects.count() == 0
    for lat, lon in PATH[:3]:
        phone.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 8})
        worker.wait_for_timeout(400)
    open_slot(worker, garbage, block=block)
    worker.click(f"{block}check-save")
    wait_until(worker, f"document.getElementById('{block[1:]}queue-status').dataset.waiting >= '2'")
    assert PatrolRound.objects.count() == 0 and PatrolCheck.objects.count() == 0

    phone.set_offline(False)
    wait_until(worker, f"document.getElementById('{block[1:]}queue-status').dataset.waiting === '0'", timeout=30_000)
    assert worker.locator(f"{block}queue-failed").is_hidden(), worker.inner_text(f"{block}queue-failed")
    round = PatrolRound.objects.get()
    assert round.worker.username == "g11_worker" and round.grid_id == tree["G11"].pk
    assert PatrolCheck.objects.get().round_id == round.pk

    # Ending it on the same page opens the round (by its key), ended, with its track.
    worker.on("dialog", lambda dialog: dialog.accept())
    with worker.expect_navigation(url=f"**/patrols/rounds/{round.pk}/", timeout=30_000):
        worker.click(f"{block}end-round")
    round.refresh_from_db()
    assert round.status == "ended" and TrackPoint.objects.filter(round=round).count() >= 1
    assert PatrolRound.objects.count() == 1 and PatrolCheck.objects.count() == 1
