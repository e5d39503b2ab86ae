"""Filling the work calendar from the maintained ``chinesecalendar`` package.

The package carries the State Council's holiday arrangement up to the year it was
released for; ``calendar_seed`` copies those years into the database (where admins can
correct and extend them) and records each as a year with official data. Running it
again after upgrading the package adds the new year and changes nothing else."""

from datetime import time
from importlib.metadata import version

from django.db import transaction

from workflow.models import CalendarDay, CalendarYear, DayKind, WorkCalendar, WorkingPeriod

DEFAULT_CALENDAR_NAME = "默认工作日历"
# 8:30–12:00 and 14:00–17:30, Monday to Friday: the usual office hours of Chinese
# government departments, lunch break included.
DEFAULT_HOURS = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))


def package_days():
    """(date, kind, name) for every official day the package knows, and its years."""
    from chinese_calendar import constants

    rows = [(day, DayKind.HOLIDAY, str(name)) for day, name in constants.holidays.items()]
    rows += [(day, DayKind.WORKDAY, str(name)) for day, name in constants.workdays.items()]
    years = sorted({day.year for day, _kind, _name in rows})
    return rows, years


@transaction.atomic
def calendar_seed(*, calendar=None, from_year: int = 2020, apps=None):
    """Create the default calendar if needed and add the package's official days.
    ``apps`` is a migration's app registry (or none for the current models)."""
    models = {model.__name__: model for model in (WorkCalendar, WorkingPeriod, CalendarDay, CalendarYear)}
    if apps is not None:
        models = {name: apps.get_model("workflow", name) for name in models}
    WorkCalendar_, WorkingPeriod_ = models["WorkCalendar"], models["WorkingPeriod"]
    CalendarDay_, CalendarYear_ = models["CalendarDay"], models["CalendarYear"]
    if calendar is None:
        calendar, created = WorkCalendar_.objects.get_or_create(
            is_default=True, defaults={"name": DEFAULT_CALENDAR_NAME}
        )
        if created:
            WorkingPeriod_.objects.bulk_create(
                WorkingPeriod_(calendar=calendar, weekday=weekday, start=start, end=end)
                for weekday in range(5)
                for start, end in DEFAULT_HOURS
            )
    rows, years = package_days()
    known = set(CalendarDay_.objects.filter(calendar=calendar).values_list("date", flat=True))
    CalendarDay_.objects.bulk_create(
        CalendarDay_(calendar=calendar, date=day, kind=kind, name=name)
        for day, kind, name in rows
        if day.year >= from_year and day not in known
    )
    source = f"chinesecalendar {version('chinesecalendar')}"
    for year in years:
        if year >= from_year:
            CalendarYear_.objects.get_or_create(calendar=calendar, year=year, defaults={"source": source})
    calendar.save(update_fields=["updated_at"])
    return calendar
