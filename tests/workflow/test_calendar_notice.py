"""Entering the State Council's notice for a year: the year's days become official, the
running deadlines the change affects move (in the background, with a timeline row), and
the missing-year warning is on the admin index and the command center's home."""

from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Role
from workflow import calendar
from workflow.calendar_notice import calendar_year_enter, notice_parse
from workflow.deadlines import deadlines_recompute
from workflow.models import CalendarDay, CalendarYear, Stage, Timer
from workflow.tasks import sweep_timers_task

NOTICE_2027 = """
# 国务院办公厅关于2027年部分节假日安排的通知（test data）
2027-01-01~2027-01-04 放假 元旦
2027-02-05至2027-02-12 放假 春节
2027-02-13 上班 春节调休
"""


def at(*parts):
    return datetime(*parts, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def city_admin(tree, make_user, reference_data):
    return make_user(Role.ADMIN, area=tree["city"], username="city_admin", is_staff=True)


def test_the_notice_is_read_line_by_line_and_every_mistake_is_named(reference_data):
    days = notice_parse(text=NOTICE_2027, year=2027)
    assert (date(2027, 1, 4), "holiday", "元旦") in days and (date(2027, 2, 13), "workday", "春节调休") in days
    assert len(days) == 4 + 8 + 1
    with pytest.raises(ValidationError) as error:
        notice_parse(text="2027-01-01 放假 元旦\n2027/02/05 放假\n2026-10-01 放假 国庆\n2027-01-01 上班 x", year=2027)
    messages = error.value.messages
    assert [message.split(":")[0] for message in messages] == ["Line 2", "Line 3", "Line 4"]
    with pytest.raises(ValidationError):
        notice_parse(text="2027-02-13 上班 调休", year=2027)  # no day off at all


def test_entering_the_notice_moves_the_deadlines_it_affects_and_says_so(file, cast, django_capture_on_commit_callbacks):
    # Thursday 31 December 2026 16:00; total limit 2 working days. Provisionally 1 January
    # is off: due Tuesday 5 January 16:00, marked provisional.
    with freeze_time(at(2026, 12, 31, 16, 0)):
        event = file()
    total = Timer.objects.get(event=event, stage=Stage.TOTAL)
    accept = Timer.objects.get(event=event, stage=Stage.ACCEPT)
    assert (timezone.localtime(total.due_at), total.provisional) == (at(2027, 1, 5, 16, 0), True)
    assert not accept.provisional  # minutes do not depend on the calendar

    with django_capture_on_commit_callbacks() as callbacks:
        changed = calendar_year_enter(actor=None, year=2027, days=notice_parse(text=NOTICE_2027, year=2027),
                                      source="test notice")
    assert callbacks  # the recompute is handed to the worker after the commit
    # The notice's own days, and the rest of the year's provisional days, which it does not keep.
    assert {"2027-01-04", "2027-02-11", "2027-02-12", "2027-02-13", "2027-10-04"} <= set(changed)
    assert not {"2027-01-01", "2027-02-05", "2027-02-09"} & set(changed)  # off before and after
    assert CalendarYear.objects.get(year=2027).recompute["days"]["2027-01-04"] is True

    # What the worker (or the next beat sweep) runs.
    assert deadlines_recompute() == 1
    total.refresh_from_db()
    assert (timezone.localtime(total.due_at), total.provisional) == (at(2027, 1, 6, 16, 0), False)
    assert timezone.localtime(total.next_check_at) == timezone.localtime(total.warn_at)
    event.refresh_from_db()
    entry = event.timeline.get(transition="deadlines_recomputed")
    assert entry.actor_kind == "system" and "2027-01-05 16:00 → 2027-01-06 16:00" in entry.note
    assert Timer.objects.get(pk=accept.pk).due_at == accept.due_at
    # Done once: nothing is pending, a second run moves nothing.
    assert CalendarYear.objects.get(year=2027).recompute == {}
    assert deadlines_recompute() == 0
    assert calendar.worktime().is_workday(date(2027, 2, 13))
    assert CalendarDay.objects.filter(date__year=2027).count() == 13


def test_the_beat_sweep_picks_up_a_recompute_the_broker_never_got(file, cast):
    with freeze_time(at(2026, 12, 31, 16, 0)):
        event = file()
    calendar_year_enter(actor=None, year=2027, days=notice_parse(text=NOTICE_2027, year=2027), source="test")
    assert sweep_timers_task()["recomputed"] == 1
    assert event.timeline.filter(transition="deadlines_recomputed").count() == 1


def test_the_missing_year_warning_is_on_the_admin_index_and_the_command_center_home(client, city_admin, cast):
    with freeze_time("2026-11-22 10:00:00+08:00"):
        client.force_login(city_admin)
        index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        client.force_login(cast["dispatcher"])
        home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        client.force_login(cast["worker"])
        worker_home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No official holiday arrangement for 2027" in index
    assert "/admin/workflow/workcalendar/notice/" in index
    assert "No official holiday arrangement for 2027" in home
    assert "No official holiday arrangement" not in worker_home


def test_a_city_admin_enters_the_notice_in_the_admin(client, city_admin, street_admin):
    client.force_login(city_admin)
    page = client.post("/admin/workflow/workcalendar/notice/", {"year": 2027, "text": "2027-01-01 放假 元旦\nnonsense"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Line 2" in page.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()
    saved = client.post("/admin/workflow/workcalendar/notice/", {"year": 2027, "text": NOTICE_2027})
    assert saved.status_code == 302
    assert "city_admin" in CalendarYear.objects.get(year=2027).source
    with freeze_time("2026-11-22 10:00:00+08:00"):
        assert "No official holiday arrangement" not in client.get("/admin/").content.decode()
    street_admin.is_staff = True
    street_admin.save()
    client.force_login(street_admin)
    assert client.get("/admin/workflow/workcalendar/notice/").status_code == 403


def test_a_deadline_on_provisional_days_is_marked_on_the_event_page(client, file, cast):
    with freeze_time(at(2026, 12, 31, 16, 0)):
        event = file()
    client.force_login(cast["dispatcher"])
    page = client.get(f"/events/{event.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("provisional-deadline") == 1  # the total (working days), not the 30-minute accept


def test_the_two_admin_upload_pages_share_one_form_template(client, city_admin):
    client.force_login(city_admin)
    for url, text in (("/admin/grids/area/import/", "FeatureCollection"), ("/admin/workflow/workcalendar/notice/", "放假")):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200 and text in page.content.decode()
        assert "admin/form_page.html" in [template.name for template in page.templates]
