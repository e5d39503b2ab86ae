"""Working-time arithmetic on the seeded calendar (official 2026 data, 2027 without)."""

from datetime import date, datetime

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


def test_a_year_without_official_data_has_its_statutory_holidays_provisionally(wt):
    assert 2027 not in wt.years
    # Without the State Council's 2027 notice, 元旦 and 春节 still come from the rules.
    assert wt.add(at(2026, 12, 31, 16, 0), 4, "work_hours") == at(2027, 1, 4, 11, 0)
    assert wt.add(at(2026, 12, 25, 10, 30), 20, "work_days") == at(2027, 1, 25, 10, 30)
    # 除夕 Fri 5 Feb … 初三 Mon 8 Feb, and the weekend's two days given back on 9 and 10 Feb.
    assert [wt.is_workday(date(2027, 2, day)) for day in range(4, 12)] == [
        True, False, False, False, False, False, False, True]
    assert {date(2027, 2, day) for day in (5, 8, 9, 10)} <= wt.provisional
    assert not wt.is_provisional(at(2026, 11, 2, 9, 0), at(2026, 12, 31, 17, 0))
    assert wt.is_provisional(at(2026, 12, 30, 9, 0), at(2027, 1, 5, 9, 0))
    with freeze_time("2026-11-22 10:00:00+08:00"):
        assert calendar.missing_years() == [2027]


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rules_give_days_the_official_arrangements_also_gave(year):
    """Under the rules in force since 2025, every statutory day (and every day given back for
    one on a weekend) is a day off in the State Council's own notice for that year."""
    from chinese_calendar import is_holiday

    from workflow.holidays import statutory_holidays

    days = statutory_holidays(year)
    assert len([day for day in days if "补假" not in days[day]]) == 13
    assert [day for day in days if not is_holiday(day)] == []


def test_admin_edits_are_seen(wt):
    default = WorkCalendar.objects.get(is_default=True)
    CalendarDay.objects.create(calendar=default, date=at(2027, 1, 1, 0, 0).date(), kind=DayKind.HOLIDAY, name="元旦")
    assert calendar.worktime().add(at(2026, 12, 31, 16, 0), 4, "work_hours") == at(2027, 1, 4, 11, 0)


def test_measure_counts_working_minutes(wt):
    assert wt.working_minutes_between(at(2026, 11, 20, 16, 0), at(2026, 11, 23, 11, 0)) == 240
    assert wt.measure(at(2026, 11, 20, 16, 0), at(2026, 11, 20, 17, 0), "minutes") == 60
