"""Working-time arithmetic on the city's work calendar (DESIGN §6).

A limit is an amount and a unit: wall-clock minutes, working hours, working days or
calendar days. Working time counts only the working periods of working days: a
weekday with periods that is not an official holiday, or a make-up workday (调休). A
year the calendar holds no official data for gets the statutory holidays that follow
from the rules (``workflow.holidays``), marked provisional and without make-up days;
``missing_years`` tells admins so, and deadlines computed on such a year are marked.
"""

import threading
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from workflow.holidays import statutory_holidays
from workflow.models import CalendarDay, CalendarYear, DayKind, TimeUnit, WorkCalendar, WorkingPeriod

# A calendar without a single working minute would make arithmetic loop forever.
MAX_DAYS_AHEAD = 3 * 366
# Years ahead that get provisional statutory holidays when they have no official data.
PROVISIONAL_YEARS_AHEAD = 4


class CalendarError(Exception):
    pass


@dataclass(frozen=True)
class WorkTime:
    periods: dict[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date]
    workdays: frozenset[date]
    makeup_weekday: int
    years: frozenset[int]
    # Statutory holidays of years without official data (also in ``holidays``).
    provisional: frozenset[date] = frozenset()
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    # Working periods per date, computed once (the calendar is immutable).
    _days: dict = field(default_factory=dict, compare=False, repr=False)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    # --- days ---------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return bool(self.periods.get(day.weekday()))

    def periods_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's working periods as aware local datetimes."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        periods = ()
        if self.is_workday(day):
            weekday = self.makeup_weekday if day in self.workdays else day.weekday()
            periods = tuple(
                (datetime.combine(day, start, tzinfo=self.zone), datetime.combine(day, end, tzinfo=self.zone))
                for start, end in self.periods.get(weekday, ())
            )
        self._days[day] = periods
        return periods

    def is_provisional(self, start: datetime, end: datetime) -> bool:
        """Whether working time from ``start`` to ``end`` crosses a year without official data."""
        first, last = self._local(start).year, self._local(max(start, end)).year
        return any(year not in self.years for year in range(first, last + 1))

    # --- arithmetic ---------------------------------------------------------------------

    def add(self, start: datetime, amount: float, unit: str) -> datetime:
        """The moment ``amount`` ``unit`` after ``start``."""
        if unit == TimeUnit.MINUTES:
            return start + timedelta(minutes=amount)
        if unit == TimeUnit.DAYS:
            return start + timedelta(days=amount)
        if unit == TimeUnit.WORK_HOURS:
            return self.add_working_minutes(start, amount * 60)
        if unit == TimeUnit.WORK_DAYS:
            return self.add_working_days(start, amount)
        raise CalendarError(f"unknown unit {unit!r}")

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        start = self._local(start)
        remaining = timedelta(minutes=minutes)
        day = start.date()
        for _ in range(MAX_DAYS_AHEAD):
            for period_start, period_end in self.periods_on(day):
                if period_end <= start:
                    continue
                begin = max(period_start, start)
                available = period_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise CalendarError("the work calendar has no working time in the next three years")

    def next_working_moment(self, moment: datetime) -> datetime:
        """``moment`` if it lies in working time, else the start of the next period."""
        moment = self._local(moment)
        day = moment.date()
        for _ in range(MAX_DAYS_AHEAD):
            for period_start, period_end in self.periods_on(day):
                if moment < period_end:
                    return max(period_start, moment)
            day += timedelta(days=1)
        raise CalendarError("the work calendar has no working time in the next three years")

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The same working clock time ``days`` working days later (a fraction of a day
        counts as that share of the next day's working time)."""
        begin = self.next_working_moment(start)
        whole = int(days)
        day = begin.date()
        counted = 0
        for _ in range(MAX_DAYS_AHEAD):
            if counted == whole:
                break
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        else:
            raise CalendarError("the work calendar has no working time in the next three years")
        periods = self.periods_on(day) if whole else self.periods_on(begin.date())
        target = datetime.combine(day, begin.timetz())
        if whole and periods:
            if target < periods[0][0]:
                target = periods[0][0]
            elif target > periods[-1][1]:
                target = periods[-1][1]
        fraction = days - whole
        if fraction:
            day_minutes = sum((end - start_).total_seconds() for start_, end in self.periods_on(day)) / 60
            return self.add_working_minutes(target, fraction * day_minutes)
        return target

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        if end <= start:
            return 0.0
        start, end = self._local(start), self._local(end)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            for period_start, period_end in self.periods_on(day):
                overlap = min(period_end, end) - max(period_start, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 60

    def measure(self, start: datetime, end: datetime, unit: str) -> float:
        """The time from ``start`` to ``end`` in minutes, counted the way ``unit`` counts
        (working minutes for working units, wall minutes otherwise)."""
        if unit in (TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS):
            return self.working_minutes_between(start, end)
        return max((end - start).total_seconds() / 60, 0.0)

    def advance(self, start: datetime, minutes: float, unit: str) -> datetime:
        """Inverse of ``measure``: ``minutes`` of ``unit``-style time after ``start``."""
        if unit in (TimeUnit.WORK_HOURS, TimeUnit.WORK_DAYS):
            return self.add_working_minutes(start, minutes)
        return start + timedelta(minutes=minutes)


# --- Loading the calendar from the database -------------------------------------------------

_lock = threading.Lock()
_cache: dict = {"version": None, "worktime": None, "checked": 0.0}

DEFAULT_PERIODS = {weekday: ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30))) for weekday in range(5)}


def _version():
    """Changes whenever the default calendar or its rows change (admin saves also touch
    the calendar's ``updated_at``)."""
    row = WorkCalendar.objects.filter(is_default=True).values_list("id", "updated_at").first()
    if row is None:
        return None
    parts = [row]
    for model in (CalendarDay, WorkingPeriod, CalendarYear):
        parts.append(tuple(model.objects.filter(calendar_id=row[0]).aggregate(n=Count("id"), last=Max("id")).values()))
    return tuple(parts)


def provisional_days(years: frozenset[int], entered: set) -> frozenset[date]:
    """Statutory holidays of the years around now that have no official data (days an
    admin entered by hand win)."""
    this_year = timezone.localdate().year
    first = min([*years, this_year - 1])
    days = set()
    for year in range(first, this_year + PROVISIONAL_YEARS_AHEAD + 1):
        if year not in years:
            days |= {day for day in statutory_holidays(year) if day not in entered}
    return frozenset(days)


def worktime_of(*, periods: dict, days: list, makeup_weekday: int, years) -> WorkTime:
    """A calendar from its weekday periods, its (date, kind) rows and its official years."""
    years = frozenset(years)
    provisional = provisional_days(years, {day for day, _kind in days})
    return WorkTime(
        periods={weekday: tuple(items) for weekday, items in periods.items()},
        holidays=frozenset(day for day, kind in days if kind == DayKind.HOLIDAY) | provisional,
        workdays=frozenset(day for day, kind in days if kind == DayKind.WORKDAY),
        makeup_weekday=makeup_weekday,
        years=years,
        provisional=provisional,
    )


def _load(calendar_id) -> WorkTime:
    if calendar_id is None:
        return worktime_of(periods=DEFAULT_PERIODS, days=[], makeup_weekday=0, years=())
    calendar = WorkCalendar.objects.get(pk=calendar_id)
    periods: dict[int, list] = {}
    for period in calendar.periods.order_by("weekday", "start"):
        periods.setdefault(period.weekday, []).append((period.start, period.end))
    return worktime_of(periods=periods, days=list(CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind")),
                       makeup_weekday=calendar.makeup_weekday, years=calendar.years.values_list("year", flat=True))


def worktime() -> WorkTime:
    """The default calendar, reloaded when an admin has changed it (checked at most
    every ``WORK_CALENDAR_CHECK_SECONDS``)."""
    now = monotonic_time.monotonic()
    with _lock:
        if _cache["worktime"] is not None and now - _cache["checked"] < settings.WORK_CALENDAR_CHECK_SECONDS:
            return _cache["worktime"]
        version = _version()
        if _cache["worktime"] is None or version != _cache["version"]:
            _cache["worktime"] = _load(version[0][0] if version else None)
            _cache["version"] = version
        _cache["checked"] = now
        return _cache["worktime"]


def invalidate() -> None:
    with _lock:
        _cache.update(version=None, worktime=None, checked=0.0)


def missing_years(*, ahead: int = 1) -> list[int]:
    """Years from this one to ``ahead`` years on that have no official holiday data:
    deadlines in them count the provisional statutory holidays without make-up days, and
    admins should enter the official arrangement when the State Council publishes it."""
    this_year = timezone.localdate().year
    known = worktime().years
    return [year for year in range(this_year, this_year + ahead + 1) if year not in known]
