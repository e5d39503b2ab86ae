"""A resident with no account reports a problem on a phone and follows it by the
tracking code; the tracking page shows the case's progress and nobody's personal data."""

import re

import pytest

from events.models import Event
from events.reporter import ReporterIdentity, reporter_identity
from tests.e2e.conftest import G11_POSITION, PHONE, photo_file, wait_until

pytestmark = pytest.mark.e2e


def test_a_resident_reports_and_follows_the_report(open_context, cast, reference_data):
    page = open_context(PHONE, geolocation=G11_POSITION).new_page()
    page.goto("/report/")
    wait_until(page, "document.querySelector('[name=latitude]').value.startsWith('27.705')")
    # Sent without a category: a readable error, and what was typed stays.
    page.fill("#id_description", "路灯不亮，晚上很黑")
    with page.expect_navigation():
        page.click("#file-submit")
    assert "类别" in page.locator("#id_category ~ .invalid-feedback").inner_text()
    assert page.locator("#id_description").input_value() == "路灯不亮，晚上很黑"

    page.fill("#category-search", "暴露垃圾")
    page.fill("#id_reporter_name", "李四")
    page.fill("#id_reporter_contact", "13900001111")
    page.locator("#id_photos").set_input_files([photo_file()])
    with page.expect_navigation(url=re.compile(r"/report/thanks/")):
        page.click("#file-submit")
    code = page.inner_text("#tracking-code").strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    event = Event.objects.get(tracking_code=code)
    assert (event.channel, event.grid.code, event.reporter_name) == ("resident", "43130200100101", "李*")
    assert reporter_identity(event) == ReporterIdentity(name="李四", contact="13900001111")  # encrypted at rest

    with page.expect_navigation(url=re.compile(r"/report/track/")):
        page.click("main a.btn-brand")
    assert page.inner_text("#public-state") == "已上报"
    text = page.inner_text("main")
    assert "李四" not in text and "13900001111" not in text and event.code not in text

    page.goto("/report/track/?code=AAAA-BBBB-CCCC")
    assert page.locator(".invalid-feedback").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
