"""The command center's desktop pages and the grid worker's phone pages render in a
real browser without script errors or horizontal overflow; the map's events click
through to the event."""

import re

import pytest
from django.utils import timezone

from assessment.seed import ratio_seed
from events.models import Event
from tests.e2e.conftest import DESKTOP, PHONE, login

pytestmark = pytest.mark.e2e


def watch_errors(page) -> list:
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_command_center_pages(open_context, cast, file, walk):
    late = walk(file(), "dispatched")
    Event.objects.filter(pk=late.pk).update(light="red")
    page = login(open_context(DESKTOP), "s1_dispatcher")
    errors = watch_errors(page)

    page.goto("/events/dashboard/")
    page.wait_for_selector("#chart-days svg")
    assert page.locator("#totals dd").first.inner_text() == "1"
    page.goto("/events/overdue/")
    assert "乐坪街道城管中队" in page.inner_text("#by-department")
    page.goto("/events/map/")
    page.wait_for_selector(f"path.event-{late.pk}")
    with page.expect_navigation(url=re.compile(rf"/events/{late.pk}/$")):
        page.locator(f"path.event-{late.pk}").click(force=True)
    assert page.locator("#event-state").get_attribute("data-state") == "dispatched"
    assert errors == []


def test_grid_worker_pages_fit_a_phone(open_context, cast, file, walk):
    walk(file(), "handled")
    page = login(open_context(PHONE), "g11_worker")
    errors = watch_errors(page)

    for url in ("/", "/events/new/", "/events/?mine=1", "/residents/my-grid/", "/residents/visits/", "/events/notifications/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
    page.click(".navbar-toggler")
    page.wait_for_selector("#site-nav.show")
    assert page.locator("#site-nav").get_by_text("事件上报").is_visible()
    # The English switch in the collapsed navbar.
    with page.expect_navigation():
        page.click("#site-nav button[name=language]")
    assert page.locator("h1").first.inner_text().strip() == "Notifications"
    assert "please verify on site" in page.inner_text("main")
    assert errors == []


def test_leader_assessment_pages(open_context, cast, file, walk):
    # The seeded ratios come from a data migration, which the live server's flush after
    # an earlier browser test removes: put them back as a fresh database has them.
    ratio_seed()
    walk(file(), "closed")
    page = login(open_context(DESKTOP), "s1_leader")
    errors = watch_errors(page)

    page.goto("/")
    page.click("#site-nav >> text=考核评价")
    page.wait_for_url(re.compile(r"/assessment/$"))
    # This month so far: the closed case gives the street a score, so the chart is drawn.
    page.goto(f"/assessment/?period={timezone.localdate():%Y-%m}")
    page.wait_for_selector("#score-chart canvas, #score-chart svg")
    # The hotspot map draws the street's grids even when there is no hotspot.
    page.goto("/assessment/hotspots/")
    page.wait_for_selector("#hotspot-map path.leaflet-interactive")
    for url in ("/assessment/", "/assessment/points/", "/assessment/problems/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"], url
    assert errors == []
