"""What the loop's users stumbled on (issue 21), walked in a real browser: the notice
board's QR code decodes; the rating link reaches a resident's phone through the SMS
gateway and works once; the tracking code is found without dashes; the command center
accepts and dispatches in one step and archives a batch. Each page is also saved as a
screenshot at phone and desktop size under var/screenshots/ for people to look at."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from events.models import Event
from tests.e2e.conftest import DESKTOP, G11_POSITION, PHONE, login, photo_file, wait_until

pytestmark = pytest.mark.e2e

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


def shot(page, name: str) -> None:
    """Keep a full-page screenshot for review (named by page and viewport width)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{page.viewport_size['width']}.png"), full_page=True)


def decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_notice_boards_qr_code_decodes_to_the_buildings_report_page(open_context, cast, size):
    from residents.models import Building

    building = Building.objects.create(grid=cast["worker"].role_assignments.get().area, name="3栋", address="月塘路3号")
    page = login(open_context(size), "g11_worker")
    page.goto(f"/residents/buildings/{building.pk}/board/")
    qr = page.locator("#board-qr svg")
    box = qr.bounding_box()
    assert box["width"] == box["height"] >= 180  # the whole code, quiet zone included, not squeezed
    shot(page, "notice-board")

    (link,) = decode_qr(qr.screenshot())
    assert re.fullmatch(r"http://[^/]+/report/\?b=[\w:.-]+", link)
    resident = open_context(PHONE).new_page()
    resident.goto(link)
    assert resident.locator("#id_address").input_value() == "月塘路3号 3栋"


def test_a_residents_rating_link_arrives_by_sms_and_works_once(open_context, cast, walk, settings, live_server):
    from governance.celery import app
    from tests.sms_gateway import RecordingSmsGateway

    settings.SMS_GATEWAY = "tests.sms_gateway.RecordingSmsGateway"
    settings.SITE_URL = live_server.url
    RecordingSmsGateway.sent.clear()
    resident = open_context(PHONE, geolocation=G11_POSITION).new_page()
    resident.goto("/report/")
    wait_until(resident, "document.querySelector('[name=latitude]').value.startsWith('27.705')")
    resident.fill("#category-search", "暴露垃圾")
    resident.fill("#id_description", "楼道口垃圾三天没人收")
    resident.fill("#id_reporter_contact", "13800138000")
    resident.locator("#id_photos").set_input_files([photo_file()])
    with resident.expect_navigation(url=re.compile(r"/report/thanks/")):
        resident.click("#file-submit")
    code = resident.inner_text("#tracking-code").strip()
    event = Event.objects.get(tracking_code=code)

    # The tracking code is found however it is typed.
    resident.goto("/report/track/?code=" + code.replace("-", "").lower())
    assert resident.inner_text("#public-state") == "已上报"
    assert "楼道口垃圾三天没人收" in resident.inner_text("#public-description")
    assert resident.locator("#report-photos img").count() == 1
    # The photo is loaded lazily (after the page's load event): wait until it has arrived and decoded.
    wait_until(resident, "(img => img.complete && img.naturalWidth > 0)(document.querySelector('#report-photos img'))")
    shot(resident, "public-track")

    event = walk(event, "handled")
    app.conf.task_always_eager = True  # the worker's queue, run in this process
    try:
        verifier = login(open_context(PHONE, geolocation=G11_POSITION), "g11_worker")
        verifier.goto(f"/events/{event.pk}/")
        wait_until(verifier, "document.querySelector('[name=latitude]') && "
                             "document.querySelector('[name=latitude]').value !== ''")
        with verifier.expect_navigation():
            verifier.locator('[data-action="verify_pass"] button[type=submit]').click()
    finally:
        app.conf.task_always_eager = False
    assert verifier.locator("#event-state").get_attribute("data-state") == "verified"
    assert "距事件地点 0 米" in verifier.inner_text("#timeline")
    shot(verifier, "event-verified")

    (message,) = RecordingSmsGateway.sent
    assert message["phone"] == "13800138000" and "请对办理情况进行评价" in message["text"]
    link = re.search(r"http://\S+", message["text"]).group(0)
    resident.goto(link)
    shot(resident, "rate")
    resident.check("#rate-satisfied")
    with resident.expect_navigation():
        resident.click("main form button[type=submit]")
    assert "感谢" in resident.inner_text("main")
    resident.goto(link)
    assert "该评价链接已失效" in resident.inner_text("main")
    shot(resident, "rate-gone")


def test_the_command_center_accepts_and_dispatches_in_one_step_and_archives_a_batch(open_context, cast, file, walk,
                                                                                   departments):
    event = file(description="路灯不亮，晚上很黑", urgency="urgent")
    closed = [walk(file(), "closed") for _ in range(2)]
    page = login(open_context(DESKTOP), "s1_dispatcher")
    page.goto("/events/")
    assert page.locator(".mark-urgency").count() == 1
    shot(page, "event-list")
    page.goto(f"/events/{event.pk}/")
    panel = page.locator("#act-accept_dispatch")
    assert panel.is_visible()  # the likely action, opened
    shot(page, "event-accept-dispatch")
    panel.locator("select[name=primary]").select_option(str(departments["S1_cg"].pk))
    panel.locator("textarea[name=note]").fill("请今晚前修复")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    assert page.locator("#event-state").get_attribute("data-state") == "dispatched"
    assert "请今晚前修复" in page.inner_text("#timeline")

    page.goto("/")
    with page.expect_navigation():
        page.click("#tile-archive")
    assert page.locator("#archive-rows label").count() == 2
    shot(page, "archive-queue")
    page.check("#archive-all")
    with page.expect_navigation():
        page.click("#archive-submit")
    assert "已归档 2 件案件" in page.inner_text("main")
    assert {Event.objects.get(pk=item.pk).state for item in closed} == {"archived"}


@pytest.mark.parametrize("size", [PHONE], ids=["phone"])
def test_changed_pages_at_phone_size(open_context, cast, file, walk, size):
    """The pages above at the other viewport, for the screenshots and the overflow check."""
    event = file(urgency="urgent")
    walk(file(), "closed")
    page = login(open_context(size), "s1_dispatcher")
    for name, url in (("event-list", "/events/"), ("event-accept-dispatch", f"/events/{event.pk}/"),
                      ("archive-queue", "/events/archive/"), ("home-dispatcher", "/")):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], name
        shot(page, name)


def test_while_filing_the_grid_the_address_and_a_likely_duplicate_show(open_context, cast, file, tree):
    from residents.models import Building

    Building.objects.create(grid=tree["G11"], name="5栋", address="月塘路5号", lat=27.7051, lon=112.0051)
    earlier = file(description="小区门口垃圾")
    worker = login(open_context(PHONE, geolocation=G11_POSITION), "g11_worker")
    worker.goto("/events/new/")
    worker.evaluate("localStorage.clear()")
    worker.reload()
    wait_until(worker, "document.getElementById('grid-hint').textContent.includes('43130200100101')")
    assert worker.locator("#id_address").input_value() == "月塘路5号 5栋"
    worker.fill("#category-search", "暴露垃圾")
    worker.locator("#nearby-reports").wait_for()
    assert earlier.code in worker.inner_text("#nearby-list")
    assert worker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(worker, "file-event")

    resident = open_context(PHONE, geolocation=G11_POSITION).new_page()
    resident.goto("/report/")
    assert resident.locator("#id_category option").count() < 30
    assert resident.locator("#id_category option", has_text="黄赌毒").count() == 0
    resident.fill("#category-search", "暴露垃圾")
    resident.locator("#nearby-reports").wait_for()
    assert earlier.code not in resident.inner_text("#nearby-list")  # no internal numbers for the public
    shot(resident, "public-report")
    with resident.expect_navigation():
        resident.evaluate("window.location = document.querySelector('#nearby-list a').href")
    assert resident.inner_text("#public-state") == "已上报"
    assert "小区门口垃圾" not in resident.inner_text("main")
    shot(resident, "public-case")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_leader_lands_on_an_overview(open_context, cast, file, walk, size):
    from workflow.services import event_transition

    late = walk(file(), "dispatched")
    Event.objects.filter(pk=late.pk).update(light="red")
    supervised = event_transition(actor=cast["leader"], event_id=file().pk, name="supervise")
    page = login(open_context(size), "s1_leader")
    page.goto("/")
    assert "乐坪街道城管中队" in page.inner_text("#by-department")
    assert supervised.code in page.inner_text("#home-supervised")
    assert page.locator("#home-leader dd").nth(2).inner_text() == "1"
    assert page.locator("#home-command").count() == 0  # not a dispatcher's inbox
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot(page, "home-leader")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_department_admin_assigns_a_colleague(open_context, cast, file, walk, make_user, departments, size):
    from accounts.models import Role

    make_user(Role.DEPT_HANDLER, department=departments["S1_cg"], username="s1_colleague", full_name="高磊")
    event = walk(file(), "dispatched")
    page = login(open_context(size), "s1_dept_admin")
    page.goto("/")
    assert "尚未指派" in page.inner_text("#home-workload")
    shot(page, "home-department-admin")
    page.goto(f"/events/{event.pk}/")
    item = page.locator('[data-action="assign"]')
    if not page.locator("#act-assign").is_visible():
        item.locator(".accordion-button").click()
    item.locator("select[name=assignee]").select_option(label="高磊")
    with page.expect_navigation():
        item.locator("button[type=submit]").click()
    assert "高磊" in page.inner_text("main dl")
    shot(page, "event-assigned")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_assessment_opens_on_the_latest_month_with_data_and_picks_periods_from_a_list(open_context, cast, file, size):
    from django.utils import timezone

    file()
    this_month = timezone.localdate().strftime("%Y-%m")
    page = login(open_context(size), "s1_leader")
    page.goto("/assessment/")
    assert page.locator("select#period").input_value() == this_month
    shot(page, "assessment-rankings")
    earlier = page.locator("select#period option").nth(1).get_attribute("value")
    with page.expect_navigation():
        page.select_option("select#period", earlier)
        page.click("main form button[type=submit]")
    assert f"period={earlier}" in page.url and page.locator("select#period").input_value() == earlier
    page.goto("/assessment/points/")
    assert page.locator("select#period").input_value() == this_month
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot(page, "assessment-points")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_notifications_read_in_the_readers_language(open_context, cast, file, walk, departments, size):
    from django.utils import translation

    from workflow.services import event_transition

    event = walk(file(), "accepted")
    with translation.override("zh-hans"):
        event_transition(actor=cast["dispatcher"], event_id=event.pk, name="dispatch", primary=departments["S1_cg"].pk)
    page = login(open_context(size), "s1_handler")
    page.goto("/events/notifications/")
    assert "派遣" in page.inner_text("main")
    if size is PHONE:
        # Wait for the collapse to finish opening: a click while it still animates can
        # land on nothing and no navigation follows.
        page.click(".navbar-toggler")
        page.wait_for_selector("#site-nav.show")
    with page.expect_navigation():
        page.click("#site-nav button[name=language][value=en]")
    page.goto("/events/notifications/")
    assert f"New case {event.code} dispatched to your department" in page.inner_text("main")
    shot(page, "notifications-english")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_administrator_lands_on_their_tasks(open_context, cast, tree, make_user, size):
    from accounts.models import Role

    make_user(Role.ADMIN, area=tree["S1"], username="s1_admin", is_staff=True)
    page = login(open_context(size), "s1_admin")
    assert "43130200100102" in page.inner_text("#home-oversize")
    with page.expect_navigation():
        page.locator("#home-admin a").first.click()
    assert "incomplete=1" in page.url
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
    shot(page, "home-admin")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_administrator_draws_a_grid_boundary_on_a_map(open_context, cast, tree, size):
    from grids.models import Area

    grid = tree["G12"]
    page = login(open_context(size), "root")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/admin/grids/area/{grid.pk}/change/")
    assert page.locator(".boundary-map").count() == 1, page.content()[:3000]
    assert errors == []
    wait_until(page, "document.querySelector('.boundary-map').editor && "
                     "document.querySelector('.boundary-map').editor.polygons().length === 1")
    shot(page, "admin-grid-boundary")
    # Move one corner as a person dragging it would (through the editor's own layer).
    page.evaluate("""() => {
        const editor = document.querySelector('.boundary-map').editor;
        const polygon = editor.polygons()[0];
        const ring = polygon.getLatLngs()[0];
        ring[2] = L.latLng(27.715, 112.025);
        polygon.setLatLngs([ring]);
        polygon.fire('pm:edit');
    }""")
    assert "112.025" in page.locator("#id_boundary").input_value()
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert page.locator(".errornote").count() == 0
    grid = Area.objects.get(pk=grid.pk)
    assert [112.025, 27.715] in grid.boundary["coordinates"][0]
