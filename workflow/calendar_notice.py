"""Entering the State Council's holiday notice for a year (admins, as data).

The notice is given as lines, one per day or range of days::

    2027-01-01 放假 元旦
    2027-02-05~2027-02-12 放假 春节
    2027-02-14 上班 春节调休

(``放假``/``休``/``holiday`` for days off, ``上班``/``班``/``workday`` for make-up workdays;
``~``, ``至`` or ``--`` between the ends of a range). Entering a year replaces its days,
records it as a year with official data and, after the commit, recomputes in the
background the deadlines of running timers that the changed days affect
(``workflow.deadlines``)."""

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from governance.handoff import hand_off
from workflow import calendar as work_calendar
from workflow.calendar_seed import calendar_seed
from workflow.models import CalendarDay, CalendarYear, DayKind, WorkCalendar

KINDS = {"放假": DayKind.HOLIDAY, "休": DayKind.HOLIDAY, "holiday": DayKind.HOLIDAY,
         "上班": DayKind.WORKDAY, "班": DayKind.WORKDAY, "workday": DayKind.WORKDAY}
LINE = re.compile(r"^(?P<first>\d{4}-\d{1,2}-\d{1,2})\s*(?:(?:~|至|--)\s*(?P<last>\d{4}-\d{1,2}-\d{1,2}))?\s+"
                  r"(?P<kind>\S+)\s*(?P<name>.*)$")
MAX_RANGE_DAYS = 15


def notice_parse(*, text: str, year: int) -> list[tuple[date, str, str]]:
    """(date, kind, name) for every day of the notice; all problems at once, by line."""
    days: dict[date, tuple[str, str]] = {}
    errors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("，", " ").replace(",", " ")
        if not line or line.startswith("#"):
            continue
        match = LINE.match(line)
        kind = KINDS.get(match["kind"].lower()) if match else None
        try:
            first = date.fromisoformat(_padded(match["first"])) if match else None
            last = date.fromisoformat(_padded(match["last"])) if match and match["last"] else first
        except ValueError:
            first = last = None
        if match is None or kind is None or first is None:
            errors.append(_("Line %(line)s: write a date (or two joined by ~), 放假 or 上班, and a name: “%(text)s”.")
                          % {"line": number, "text": raw.strip()})
            continue
        if first.year != year or last.year != year or last < first or (last - first).days >= MAX_RANGE_DAYS:
            errors.append(_("Line %(line)s: the days must lie in %(year)s, in order, at most %(max)s days in a row.")
                          % {"line": number, "year": year, "max": MAX_RANGE_DAYS})
            continue
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if day in days and days[day][0] != kind:
                errors.append(_("Line %(line)s: %(day)s is both a day off and a workday.") % {"line": number, "day": day})
            days[day] = (kind, match["name"].strip()[:60])
    if errors:
        raise ValidationError(errors)
    if not any(kind == DayKind.HOLIDAY for kind, _name in days.values()):
        raise ValidationError(_("The notice has no day off: paste the lines of the whole notice."))
    return [(day, kind, name) for day, (kind, name) in sorted(days.items())]


def _padded(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def calendar_year_enter(*, actor, year: int, days: list[tuple[date, str, str]], source: str) -> dict[str, bool]:
    """Replace ``year``'s days of the default calendar by the official ones and record
    the year as official. Returns the dates whose kind changed (ISO date → whether it
    *was* a working day); their running timers are recomputed after the commit."""
    from workflow.tasks import recompute_deadlines_task

    with transaction.atomic():
        default = WorkCalendar.objects.filter(is_default=True).first() or calendar_seed()
        default = WorkCalendar.objects.select_for_update().get(pk=default.pk)
        work_calendar.invalidate()
        before = work_calendar.worktime()
        CalendarDay.objects.filter(calendar=default, date__year=year).delete()
        CalendarDay.objects.bulk_create(CalendarDay(calendar=default, date=day, kind=kind, name=name)
                                        for day, kind, name in days)
        entry, _created = CalendarYear.objects.select_for_update().get_or_create(calendar=default, year=year)
        default.save(update_fields=["updated_at"])
        work_calendar.invalidate()
        after = work_calendar.worktime()
        changed = {}
        day = date(year, 1, 1)
        while day.year == year:
            if before.is_workday(day) != after.is_workday(day):
                changed[day.isoformat()] = before.is_workday(day)
            day += timedelta(days=1)
        # Written down first, so a broker outage only delays the recompute (the sweep task
        # also looks for it).
        if entry.recompute:
            raise ValidationError(_("The deadlines of %(year)s are still being recomputed after the last change; "
                                    "try again in a minute.") % {"year": year})
        entry.source = source[:80]
        entry.recompute = {"days": changed, "after": 0} if changed else {}
        entry.save(update_fields=["source", "recompute"])
        audit_record(actor=actor, action="calendar_year_enter", obj=entry,
                     changes={"days": len(days), "changed": sorted(changed)})
        transaction.on_commit(work_calendar.invalidate)
        if changed:
            transaction.on_commit(lambda: hand_off(recompute_deadlines_task))
    return changed
