"""A campaign in a real browser: a dispatcher creates a gas-safety campaign on a street
from the ready-made form and publishes it; a grid worker on a 360 px phone answers three
households — one nobody home, one visited while the connection is lost (queued on the
phone, sent when it is back, recorded once), one with a gas leak filed as an event with
one tap — and the dispatcher sees the progress move on the street and the grid and
exports the ledger."""

import io

import pytest
from openpyxl import load_workbook

from campaigns.models import Answer, Campaign, Target
from events.models import Event
from tests.campaigns.conftest import _household, _room, crew, registry  # noqa: F401 - fixtures
from tests.e2e.conftest import DESKTOP, G11_POSITION, PHONE, login, photo_file, wait_until

pytestmark = pytest.mark.e2e


def own_row(page) -> tuple[str, str]:
    row = page.locator("#progress-own")
    return row.get_attribute("data-visited"), row.get_attribute("data-targets")


def open_target(page, campaign, label):
    page.goto(f"/campaigns/{campaign.pk}/targets")
    page.locator(f'[data-target="{label}"]').click()
    page.wait_for_selector("#answer-form")


def test_campaign_from_creation_to_export(open_context, registry, crew, tree, reference_data):  # noqa: F811
    _household(tree["G11"], "H5", _room(tree["G11"], "1栋", "2单元", "301"), 1)
    # --- The dispatcher creates and publishes the campaign on the street -------------------
    desk = open_context(DESKTOP)
    dispatcher = login(desk, "s1_dispatcher")
    dispatcher.goto("/campaigns/")
    dispatcher.click("#campaign-new")
    dispatcher.fill("#id_name", "冬季燃气安全排查")
    assert dispatcher.locator("#id_area option:checked").inner_text().startswith("乐坪街道")
    dispatcher.click("#campaign-save")
    dispatcher.wait_for_selector("#campaign-publish")
    campaign = Campaign.objects.get()
    dispatcher.click("#campaign-publish")
    dispatcher.wait_for_selector("#progress-table")
    assert dispatcher.locator("#campaign-state").get_attribute("data-state") == "published"
    assert own_row(dispatcher) == ("0", "4")
    # After publishing, the dispatcher adds a question: a new version of the form.
    dispatcher.click("#campaign-form-edit")
    added = len(campaign.form)
    dispatcher.fill(f"#id_fields-{added}-code", "co_alarm")
    dispatcher.fill(f"#id_fields-{added}-label", "是否安装一氧化碳报警器")
    dispatcher.select_option(f"#id_fields-{added}-problem_rule", "equals")
    dispatcher.fill(f"#id_fields-{added}-problem_value", "no")
    dispatcher.click("#form-save")
    dispatcher.wait_for_selector("#progress-table")
    campaign.refresh_from_db()
    assert campaign.form_version == 2 and campaign.form[-1]["code"] == "co_alarm"

    # --- The grid worker on a phone ---------------------------------------------------------
    phone = open_context(PHONE, geolocation=G11_POSITION)
    worker = login(phone, "g11_worker")
    worker.goto("/campaigns/")
    worker.locator(f'a[href^="/campaigns/{campaign.pk}/targets"]').first.click()
    assert worker.locator("#target-list [data-target]").count() == 3
    assert worker.evaluate("document.documentElement.scrollWidth") <= 360

    # 1. Nobody home at H1.
    open_target(worker, campaign, "1栋1单元101 #H1")
    worker.click("#not-home")
    worker.wait_for_url(f"**/campaigns/{campaign.pk}/targets**")
    assert worker.locator('[data-target="1栋1单元101 #H1"]').get_attribute("data-status") == "not_home"

    # 2. H2 visited with the connection lost: queued on the phone, sent when it is back.
    open_target(worker, campaign, "1栋1单元102 #H2")
    worker.locator('label[for="f-has_gas-no"]').click()
    assert not worker.locator('[data-code="leak"]').is_visible()  # asked only with gas
    assert worker.locator('[data-code="co_alarm"]').count() == 1  # the question added after publishing
    worker.fill("#f-note", "不使用燃气")
    phone.set_offline(True)
    worker.click("#answer-save")
    wait_until(worker, "document.getElementById('offline-status').textContent.length > 0")
    assert not Answer.objects.filter(target__label="1栋1单元102 #H2").exists()
    phone.set_offline(False)
    wait_until(worker, "window.GovOfflineQueue.all().then(function (items) { return items.length === 0; })")
    worker.reload()  # a second send of the same form (idempotency key) changes nothing
    worker.evaluate("window.GovOfflineQueue.flush()")
    assert Answer.objects.filter(target__label="1栋1单元102 #H2").count() == 1
    assert Answer.objects.get(target__label="1栋1单元102 #H2").form_version == 2

    # 3. H5: a gas leak, with a photo and the resident's signature; filed with one tap.
    open_target(worker, campaign, "1栋2单元301 #H5")
    worker.locator('label[for="f-has_gas-yes"]').click()
    worker.locator('label[for="f-leak-yes"]').click()
    worker.locator('label[for="f-alarm-no"]').click()
    worker.fill("#f-hose_age", "8")
    worker.locator("#f-photo").set_input_files([photo_file("stove.png")])
    worker.locator("canvas[data-signature-for]").scroll_into_view_if_needed()
    pad = worker.locator("canvas[data-signature-for]").bounding_box()
    worker.mouse.move(pad["x"] + 20, pad["y"] + 30)
    worker.mouse.down()
    worker.mouse.move(pad["x"] + 120, pad["y"] + 90, steps=8)
    worker.mouse.up()
    worker.click("#answer-save")
    worker.wait_for_selector("#file-event")
    worker.click("#file-event")
    worker.wait_for_selector("#target-event")
    event = Event.objects.get()
    campaign.refresh_from_db()
    leak_label = next(spec["label"] for spec in campaign.form if spec["code"] == "leak")
    assert event.grid == tree["G11"] and leak_label in event.description and event.latitude is not None
    h5 = Answer.objects.get(target__label="1栋2单元301 #H5")
    assert set(h5.problems) == {"leak", "alarm", "hose_age"}
    assert sorted(file.field for file in h5.files.all()) == ["photo", "signature"]

    # --- The dispatcher sees the progress move, on the street and the grid, and exports -------
    dispatcher.reload()
    assert own_row(dispatcher) == ("2", "4")
    dispatcher.locator("#progress-table a", has_text="月塘社区").click()
    dispatcher.locator("#progress-table a", has_text="月塘第1网格").click()
    assert own_row(dispatcher) == ("2", "3")
    assert dispatcher.locator("#progress-own td").nth(3).inner_text() == "1"  # not home
    with dispatcher.expect_download() as download:
        dispatcher.click("#campaign-export")
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    ledger = list(book["排查台账"].values)
    assert len(ledger) == 4 and {row[9] for row in ledger[1:]} == {"无人在家", "已走访"}
    assert next(row for row in ledger[1:] if row[5] == "1栋2单元301 #H5")[13] == event.code
    assert Target.objects.filter(campaign=campaign, status="done").count() == 2

    # The map colours the street's two grids by progress; a click opens the grid's progress.
    errors = []
    dispatcher.on("pageerror", lambda error: errors.append(error))
    dispatcher.goto(f"/campaigns/{campaign.pk}/map")
    wait_until(dispatcher, "document.getElementById('map-status').textContent === '2'")
    assert dispatcher.locator("#campaign-map path.leaflet-interactive").count() == 2 and errors == []
