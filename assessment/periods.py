"""Assessment periods: a day, an ISO week, a month, a quarter or a date range, as local
days in ``settings.TIME_ZONE`` with aware bounds [first day 00:00, day after last 00:00)."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import PeriodKind

MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be read; the message says what was expected."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # the last day, included
    label: str

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())

    @property
    def is_closed(self) -> bool:
        """Has the period ended (its last local day is over)?"""
        return timezone.now() >= self.until

    def previous(self) -> "Period":
        """The period of the same kind just before (for comparisons)."""
        if self.kind == PeriodKind.MONTH:
            last = self.start - timedelta(days=1)
            return month_period(last.year, last.month)
        if self.kind == PeriodKind.QUARTER:
            last = self.start - timedelta(days=1)
            return period_parse(f"{last.year}-Q{(last.month - 1) // 3 + 1}")
        if self.kind == PeriodKind.WEEK:
            year, week, _day = (self.start - timedelta(days=7)).isocalendar()
            return period_parse(f"{year}-W{week:02d}")
        length = (self.end - self.start).days + 1
        start = self.start - timedelta(days=length)
        return period_from_days(start, start + timedelta(days=length - 1))


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return Period(PeriodKind.MONTH, start, following - timedelta(days=1), f"{year}-{month:02d}")


def period_from_days(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError(_("The period ends before it starts."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(_("A period can be at most %(days)d days long.") % {"days": MAX_DAYS})
    kind = PeriodKind.DAY if start == end else PeriodKind.RANGE
    label = start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"
    return Period(kind, start, end, label)


def period_parse(text: str) -> Period:
    """Read ``2026-10`` (month), ``2026-W40`` (ISO week), ``2026-Q3`` (quarter),
    ``2026-10-05`` (day) or ``2026-10-01..2026-10-15`` (range, both days included)."""
    text = (text or "").strip()
    try:
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise ValueError
            return month_period(year, month)
        if match := re.fullmatch(r"(\d{4})-[Ww](\d{1,2})", text):
            year, week = int(match[1]), int(match[2])
            start = date.fromisocalendar(year, week, 1)
            return Period(PeriodKind.WEEK, start, start + timedelta(days=6), f"{year}-W{week:02d}")
        if match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            year, quarter = int(match[1]), int(match[2])
            start = date(year, 3 * quarter - 2, 1)
            last_month = month_period(year, 3 * quarter)
            return Period(PeriodKind.QUARTER, start, last_month.end, f"{year}-Q{quarter}")
        if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|~)\s*(\d{4}-\d{2}-\d{2})", text):
            return period_from_days(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return Period(PeriodKind.DAY, day, day, text)
    except PeriodError:
        raise
    except ValueError:
        pass
    raise PeriodError(_(
        "“%(text)s” is not a period. Write a month (2026-10), a week (2026-W40), a quarter (2026-Q3), "
        "a day (2026-10-05) or a range (2026-10-01..2026-10-15)."
    ) % {"text": text})


def last_month(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    last = today.replace(day=1) - timedelta(days=1)
    return month_period(last.year, last.month)
