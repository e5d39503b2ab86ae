"""The whole loop in a real browser: a grid worker files on a phone with a photo and GPS,
the command center accepts and dispatches on a desktop, the department signs and reports,
the worker's verification fails once (rework) and then passes, the reporter rates through
the link (no account), the command center archives. Plus: the draft survives a reload
and a double submit files once; an out-of-scope user gets 404."""

import re

import pytest

from events.models import Attachment, Event
from tests.e2e.conftest import DESKTOP, G11_POSITION, PHONE, login, photo_file, wait_until

pytestmark = pytest.mark.e2e


def state_of(page) -> str:
    return page.locator("#event-state").get_attribute("data-state")


def act(page, name, *, fields=None, files=None, checks=()):
    """Open the action's panel on the event page, fill it and submit it."""
    page.wait_for_load_state()
    item = page.locator(f'[data-action="{name}"]')
    item.wait_for()
    panel = page.locator(f"#act-{name}")
    if not panel.is_visible():
        item.locator(".accordion-button").click()
        panel.wait_for(state="visible")
    for field, value in (fields or {}).items():
        item.locator(f'[name="{field}"]').fill(value)
    for value in checks:
        item.locator(f'input[value="{value}"]').check()
    if files:
        item.locator('input[type="file"]').set_input_files(files)
    with page.expect_navigation():
        item.locator("button[type=submit]").click()
    assert page.locator(".alert-danger").count() == 0, page.locator(".alert-danger").inner_text()


def test_the_whole_loop_from_filing_to_archive(open_context, cast, departments):
    # --- The grid worker files on a phone, with a photo and the GPS position -----------------
    phone = open_context(PHONE, geolocation=G11_POSITION)
    worker = login(phone, "g11_worker")
    worker.goto("/events/new/")
    wait_until(worker, "document.querySelector('[name=latitude]').value.startsWith('27.705')")
    worker.fill("#category-search", "暴露")
    assert worker.locator("#id_category").input_value() != ""
    worker.fill("#id_description", "小区门口有一堆暴露垃圾")
    # The draft survives a reload, with the same idempotency key.
    key = worker.locator("[name=idempotency_key]").input_value()
    wait_until(worker, "localStorage.getItem('governance:event-draft') && "
                       "JSON.parse(localStorage.getItem('governance:event-draft')).description.length > 0")
    worker.reload()
    assert worker.locator("#id_description").input_value() == "小区门口有一堆暴露垃圾"
    assert worker.locator("[name=idempotency_key]").input_value() == key
    worker.fill("#id_address", "月塘路12号")
    # Two photos taken one after the other (a phone's camera gives one per pick): both are kept.
    worker.locator("#id_photos").set_input_files([photo_file("before.png")])
    worker.locator("#id_photos").set_input_files([photo_file("before-2.png", (10, 10, 200))])
    assert worker.evaluate("document.getElementById('id_photos').files.length") == 2
    # Submitting twice files once.
    with worker.expect_navigation(url=re.compile(r"/events/\d+/\?filed=1")):
        worker.evaluate("const f = document.getElementById('file-form'); f.requestSubmit(); f.requestSubmit();")
    event_id = int(re.search(r"/events/(\d+)/", worker.url).group(1))
    assert Event.objects.filter(idempotency_key=key).count() == 1
    event = Event.objects.get(pk=event_id)
    assert (event.latitude, event.longitude, event.grid.code) == (27.705, 112.005, "43130200100101")
    assert state_of(worker) == "reported"
    assert worker.locator(".photos img").count() == 2
    assert worker.evaluate("localStorage.getItem('governance:event-draft')") is None
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # --- The command center accepts and dispatches (the category's default department) ------
    desk = open_context(DESKTOP)
    dispatcher = login(desk, "s1_dispatcher")
    dispatcher.goto("/events/")
    with dispatcher.expect_navigation():
        dispatcher.click(f"text={event.code}")
    act(dispatcher, "accept")
    assert state_of(dispatcher) == "accepted"
    primary = dispatcher.locator('[data-action="dispatch"] select[name=primary] option:checked')
    assert "乐坪街道城管中队" in primary.inner_text()
    act(dispatcher, "dispatch", checks=[str(departments["A_cg"].pk)])
    assert state_of(dispatcher) == "dispatched"

    # --- The department signs and reports the result -----------------------------------------
    handler_context = open_context(DESKTOP)
    handler = login(handler_context, "s1_handler")
    handler.goto("/events/queue/")
    with handler.expect_navigation():
        handler.locator("#queue-to-sign").get_by_text(event.code).click()
    act(handler, "sign")
    assert state_of(handler) == "handling"
    act(handler, "feedback", fields={"result": "已清运"}, files=[photo_file("after.png", (40, 160, 40))])
    assert state_of(handler) == "handled"

    # --- The worker's verification on site fails (rework), then passes -------------------------
    worker.goto("/")
    with worker.expect_navigation():
        worker.locator("#home-verify").get_by_text(event.code).click()
    act(worker, "verify_fail", fields={"reason": "仍有垃圾残留"}, files=[photo_file("still.png", (90, 90, 90))])
    assert state_of(worker) == "handling"
    handler.reload()
    act(handler, "feedback", fields={"result": "已彻底清理"})
    worker.goto(f"/events/{event_id}/")
    act(worker, "verify_pass", fields={"note": "现场已清理干净"}, files=[photo_file("clean.png", (250, 250, 250))])
    assert state_of(worker) == "verified"
    event.refresh_from_db()
    assert event.rework_count == 1
    assert Attachment.objects.filter(event=event).count() == 5

    # --- The reporter rates through the link, without an account --------------------------------
    worker.goto("/events/notifications/")
    link = worker.locator('a[href*="/events/rate/"]').first.get_attribute("href")
    anonymous = open_context(PHONE).new_page()
    anonymous.goto(link)
    anonymous.check("#rate-satisfied")
    anonymous.fill("#id_comment", "处理很快")
    with anonymous.expect_navigation():
        anonymous.click("main form button[type=submit]")
    assert "感谢" in anonymous.inner_text("main")
    event.refresh_from_db()
    assert (event.state, event.rating, event.closure_type) == ("closed", "satisfied", "normal")

    # --- The command center archives the closed case -------------------------------------------
    dispatcher.goto(f"/events/{event_id}/")
    assert state_of(dispatcher) == "closed"
    act(dispatcher, "archive")
    assert state_of(dispatcher) == "archived"
    event.refresh_from_db()
    assert event.dossier["rating"] == "satisfied"
    timeline = dispatcher.locator("#timeline li")
    assert timeline.count() == 10  # report, accept, dispatch, sign, feedback, fail, feedback, pass, assess, archive


def test_a_user_out_of_scope_gets_404(open_context, cast, file):
    event = file()
    outsider = login(open_context(DESKTOP), "g31_worker")

    response = outsider.goto(f"/events/{event.pk}/")
    missing = outsider.goto("/events/99999999/")

    assert response.status == missing.status == 404
    assert event.code not in outsider.content()
