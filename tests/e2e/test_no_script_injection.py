"""Stored script injection never runs, and the Content Security Policy is never violated.

A payload is stored in every user-editable name or text that reaches a page or a chart
(grid, area, category, department, event description and address, resident, key place,
notification title). Every page that shows one is opened as the users who see it, map
boundaries and markers are hovered, popups opened and chart tooltips shown; the payload
must appear as text and never run, and a counter of CSP violation reports must stay at
zero (the page's own ``securitypolicyviolation`` events and the browser console)."""

import pytest
from django.utils import timezone

from accounts.models import Department
from assessment.seed import ratio_seed
from events.models import Category, Event
from grids.models import Area
from residents.models import KeyPlace
from tests.campaigns.conftest import crew, make_campaign, registry  # noqa: F401 - fixtures
from tests.e2e.conftest import DESKTOP, PHONE, login
from tests.residents.factories import ResidentFactory
from workflow.models import Notification

pytestmark = pytest.mark.e2e

# Short enough for every name field; texts also get a <script> element.
PAYLOAD = "<img src=x onerror=__xss=1>"
SCRIPT = "<script>__xss=2</script>"
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


class Watch:
    def __init__(self, context):
        self.console = []
        self.errors = []
        context.add_init_script(WATCH)

    def page(self, page):
        page.on("console", lambda message: self.console.append(message.text)
                if "Content Security Policy" in message.text else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        return page

    def check(self, page, where):
        assert page.evaluate("window.__xss || 0") == 0, f"script ran on {where}"
        assert page.evaluate("window.__csp") == [], where
        assert self.console == [], (where, self.console)
        assert self.errors == [], (where, self.errors)


@pytest.fixture
def poisoned(cast, tree, departments, file, walk):
    """Every editable name and text holds the payload."""
    for key in ("G11", "C1", "S1"):
        Area.objects.filter(pk=tree[key].pk).update(name=f"{PAYLOAD}{tree[key].name}")
    Category.objects.filter(code__in=["01", "0101"]).update(name=f"{PAYLOAD}暴露垃圾")
    Department.objects.filter(pk=departments["S1_cg"].pk).update(name=f"{PAYLOAD}城管中队")
    events = [walk(file(description=f"{PAYLOAD}{SCRIPT}描述", address=f"{PAYLOAD}{SCRIPT}地址", latitude=latitude), state)
              for latitude, state in ((27.701, "dispatched"), (27.707, "closed"), (27.7071, "accepted"))]
    Event.objects.filter(pk=events[0].pk).update(light="red")
    ResidentFactory(grid=tree["G11"], room=None, household=None, name=f"{PAYLOAD}张三")
    KeyPlace.objects.create(grid=tree["G11"], name=f"{PAYLOAD}市场", kind="market")
    for user in (cast["dispatcher"], cast["worker"]):
        Notification.objects.create(user=user, event=events[0], kind="dispatched", title=f"{PAYLOAD}{SCRIPT}通知", body=PAYLOAD + SCRIPT)
    return events


def _hover_all(page, selector, limit=6):
    for index in range(min(page.locator(selector).count(), limit)):
        page.locator(selector).nth(index).hover(force=True)
        page.wait_for_timeout(150)


def _hover_chart(page, selector):
    box = page.locator(selector).bounding_box()
    for fraction in (0.3, 0.5, 0.7):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.5)
        page.wait_for_timeout(150)


def test_payloads_never_run_for_the_command_center(open_context, poisoned):
    context = open_context(DESKTOP)
    watch = Watch(context)
    page = watch.page(login(context, "s1_dispatcher"))
    live, closed, accepted = poisoned

    page.goto("/events/map/")
    page.wait_for_selector(f"path.event-{live.pk}")
    _hover_all(page, "path.leaflet-interactive")
    page.wait_for_selector(".leaflet-tooltip")
    assert "<img" in page.inner_text(".leaflet-tooltip")  # shown as text
    watch.check(page, "map")

    for url in ("/events/", "/events/overdue/", "/events/queue/", "/events/notifications/", f"/events/{live.pk}/",
                f"/events/{closed.pk}/", "/", "/grids/teams/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if url == f"/events/{live.pk}/":
            _hover_all(page, "#event-map path.leaflet-interactive")
        watch.check(page, url)

    page.goto("/events/dashboard/")
    page.wait_for_selector("#chart-days svg")
    for chart in ("#chart-days", "#chart-states", "#chart-categories", "#chart-grids", "#chart-departments"):
        _hover_chart(page, chart)
    watch.check(page, "dashboard")


def test_payloads_never_run_for_the_leader(open_context, poisoned, tree):
    ratio_seed()
    context = open_context(DESKTOP)
    watch = Watch(context)
    page = watch.page(login(context, "s1_leader"))
    month = f"{timezone.localdate():%Y-%m}"

    page.goto(f"/assessment/?period={month}")
    page.wait_for_selector("#score-chart canvas")
    _hover_chart(page, "#score-chart")
    watch.check(page, "rankings")
    page.goto(f"/assessment/unit/street/{tree['S1'].pk}/?period={month}")
    page.wait_for_selector("#ratio-chart canvas")
    _hover_chart(page, "#ratio-chart")
    watch.check(page, "scorecard")
    page.goto(f"/assessment/problems/?period={month}")
    page.wait_for_selector("#trend-chart canvas")
    _hover_chart(page, "#trend-chart")
    watch.check(page, "problems")

    page.goto(f"/assessment/hotspots/?period={month}&radius=100&min=2")
    page.wait_for_selector("#hotspot-map path.leaflet-interactive")
    _hover_all(page, "#hotspot-map path.leaflet-interactive")
    circles = page.locator("#hotspot-map path.leaflet-interactive[stroke='#d63384']")
    assert circles.count() >= 1
    page.wait_for_timeout(500)  # the map's fit animation
    box = circles.first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    page.wait_for_selector(".leaflet-popup-content")
    assert "<img" in page.inner_text(".leaflet-popup-content")
    watch.check(page, "hotspots")
    for url in ("/assessment/points/", f"/assessment/compare/?period={month}"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        watch.check(page, url)


def poisoned_resident(events) -> int:
    from residents.models import Resident

    return Resident.objects.get(name__startswith=PAYLOAD).pk


def test_payloads_never_run_for_the_grid_worker_and_the_public(open_context, poisoned, tree):
    context = open_context(PHONE, geolocation={"latitude": 27.705, "longitude": 112.005})
    watch = Watch(context)
    page = watch.page(login(context, "g11_worker"))
    for url in ("/", "/events/new/", "/residents/my-grid/", "/residents/", "/residents/visits/", "/events/notifications/",
                f"/residents/{poisoned_resident(poisoned)}/", f"/grids/{tree['G11'].pk}/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if url == "/events/new/":
            _hover_all(page, "#file-map path.leaflet-interactive")
        watch.check(page, url)

    public = open_context(PHONE)
    public_watch = Watch(public)
    page = public_watch.page(public.new_page())
    for url in ("/report/", "/report/track/", "/accounts/login/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        public_watch.check(page, url)
    policy = page.request.get("/report/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_admin_and_api_docs_work_under_the_policy(open_context, poisoned, tree):
    context = open_context(DESKTOP)
    watch = Watch(context)
    page = watch.page(login(context, "root"))
    live = poisoned[0]
    for url in ("/admin/", "/admin/grids/area/", f"/admin/grids/area/{tree['G11'].pk}/change/", "/admin/events/event/",
                f"/admin/events/event/{live.pk}/change/", "/admin/events/category/", "/admin/accounts/department/",
                "/admin/axes/accessattempt/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        watch.check(page, url)
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    watch.check(page, "/api/docs/")


def _visit(page, watch, url, *, hover=None):
    response = page.goto(url)
    assert response.ok, (url, response.status)
    page.wait_for_load_state("load")
    page.wait_for_timeout(400)  # the pages' scripts draw maps and lists after load
    if hover:
        _hover_all(page, hover)
    watch.check(page, url)


def test_patrol_and_campaign_pages_work_under_the_policy(open_context, poisoned, tree, registry, crew,  # noqa: F811
                                                         make_campaign):  # noqa: F811
    """Issues 16 and 17's pages (maps, the phone's walking page, the campaign lists and
    the door-to-door form) with the payload in building, target and campaign names."""
    from campaigns.models import Campaign, Target
    from patrols.catalogue import catalogue_seed
    from patrols.services import round_start
    from residents.models import Building

    catalogue_seed()
    Building.objects.create(grid=tree["G11"], name=f"{PAYLOAD}1号楼", lat=27.7055, lon=112.0054)
    round, _created = round_start(actor=crew["worker"], key="poisoned-round", grid=tree["G11"])
    campaign = make_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(name=f"{PAYLOAD}排查", description=f"{PAYLOAD}{SCRIPT}")
    Target.objects.filter(campaign=campaign).update(label=f"{PAYLOAD}1栋1单元101")
    target = Target.objects.filter(campaign=campaign, grid=tree["G11"]).first()

    context = open_context(DESKTOP)
    watch = Watch(context)
    page = watch.page(login(context, "s1_dispatcher"))
    for url in ("/patrols/rounds/", "/patrols/coverage/", "/patrols/overdue/", "/campaigns/", "/campaigns/new/",
                f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/not-done"):
        _visit(page, watch, url)
    _visit(page, watch, f"/patrols/rounds/{round.pk}/", hover="path.leaflet-interactive")
    _visit(page, watch, "/patrols/coverage/map/", hover="path.leaflet-interactive")
    _visit(page, watch, f"/campaigns/{campaign.pk}/map", hover="path.leaflet-interactive")

    phone = open_context(PHONE, geolocation={"latitude": 27.705, "longitude": 112.005})
    phone_watch = Watch(phone)
    page = phone_watch.page(login(phone, "g11_worker"))
    for url in ("/patrols/", f"/patrols/rounds/{round.pk}/", "/campaigns/", f"/campaigns/{campaign.pk}/targets",
                f"/campaigns/targets/{target.pk}/"):
        _visit(page, phone_watch, url)
    assert page.evaluate("document.body.innerText").count("<img") >= 1  # the payload shown as text
