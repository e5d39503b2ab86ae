"""Working-time arithmetic on the seeded calendar (official 2026 data, 2027 without)."""

from datetime import datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from workflow import calendar
from workflow.models import CalendarDay, DayKind, WorkCalendar


def at(*parts):
    return datetime(*parts, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def wt(reference_data):
    calendar.invalidate()
    return calendar.worktime()


def test_working_hours_skip_the_weekend(wt):
    # Friday 2026-11-20 16:00 + 4 working hours: 1.5 h on Friday, 2.5 h on Monday.
    assert wt.add(at(2026, 11, 20, 16, 0), 4, "work_hours") == at(2026, 11, 23, 11, 0)


def test_working_hours_skip_the_lunch_break(wt):
    assert wt.add(at(2026, 11, 19, 11, 30), 1, "work_hours") == at(2026, 11, 19, 14, 30)
    # Starting during the lunch break counts from 14:00.
    assert wt.add(at(2026, 11, 19, 12, 40), 1, "work_hours") == at(2026, 11, 19, 15, 0)


def test_national_day_2026_and_its_makeup_saturday(wt):
    # 2026-09-30 (Wed) 16:00 + 4 working hours: 1.5 h that day, 1–7 October off.
    assert wt.add(at(2026, 9, 30, 16, 0), 4, "work_hours") == at(2026, 10, 8, 11, 0)
    # Friday 9 October + 1 working day lands on Saturday 10 October, a make-up workday.
    assert wt.is_workday(at(2026, 10, 10, 9, 0).date())
    assert wt.add(at(2026, 10, 9, 10, 0), 1, "work_days") == at(2026, 10, 10, 10, 0)
    # 3 working days from Tuesday 29 September: 30 Sep, 8 Oct, 9 Oct.
    assert wt.add(at(2026, 9, 29, 9, 0), 3, "work_days") == at(2026, 10, 9, 9, 0)


def test_minutes_and_calendar_days_are_wall_clock(wt):
    assert wt.add(at(2026, 10, 3, 23, 55), 10, "minutes") == at(2026, 10, 4, 0, 5)
    assert wt.add(at(2026, 10, 1, 9, 0), 2, "days") == at(2026, 10, 3, 9, 0)


def test_a_deadline_into_2027_falls_back_to_monday_to_friday(wt):
    assert 2027 not in wt.years
    # Thursday 31 December 2026 16:00 + 4 working hours: Friday 1 January 2027 is
    # New Year's Day in reality, but without 2027 data it counts as a working Friday.
    assert wt.add(at(2026, 12, 31, 16, 0), 4, "work_hours") == at(2027, 1, 1, 11, 0)
    assert wt.add(at(2026, 12, 30, 9, 0), 5, "work_days") == at(2027, 1, 6, 9, 0)
    with freeze_time("2026-11-22 10:00:00+08:00"):
        assert calendar.missing_years() == [2027]


def test_admin_edits_are_seen(wt):
    default = WorkCalendar.objects.get(is_default=True)
    CalendarDay.objects.create(calendar=default, date=at(2027, 1, 1, 0, 0).date(), kind=DayKind.HOLIDAY, name="元旦")
    assert calendar.worktime().add(at(2026, 12, 31, 16, 0), 4, "work_hours") == at(2027, 1, 4, 11, 0)


def test_measure_counts_working_minutes(wt):
    assert wt.working_minutes_between(at(2026, 11, 20, 16, 0), at(2026, 11, 23, 11, 0)) == 240
    assert wt.measure(at(2026, 11, 20, 16, 0), at(2026, 11, 20, 17, 0), "minutes") == 60
