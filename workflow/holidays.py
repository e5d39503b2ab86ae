"""Statutory holidays of any year, from the rules of 《全国年节及纪念日放假办法》.

The State Council publishes each year's arrangement (with its make-up workdays, 调休)
in November; until then a year's holidays follow from the rules themselves, in the
version in force since 2025:

- 元旦 1 January (1 day); 春节 除夕 and 正月初一 to 初三 (4 days); 清明节 the day of the
  Qingming solar term (1 day); 劳动节 1–2 May (2 days); 端午节 五月初五 (1 day); 中秋节
  八月十五 (1 day); 国庆节 1–3 October (3 days);
- a holiday that falls on a Saturday or Sunday is given back on the next working day
  after the festival (补假, article 3 of the rules).

Lunar dates and the solar term come from ``borax`` (a maintained lunar-calendar
library, 1900–2100). These days are *provisional*: no make-up workdays (调休 cannot be
guessed), and they give way to the official arrangement as soon as an admin enters it
(``workflow.calendar_notice``)."""

from datetime import date, timedelta

SATURDAY = 5


def _festivals(year: int) -> list[tuple[str, list[date]]]:
    from borax.calendars.lunardate import LunarDate, TermUtils

    new_year = LunarDate(year, 1, 1).to_solar_date()
    return [
        ("元旦", [date(year, 1, 1)]),
        ("春节", [new_year + timedelta(days=offset) for offset in range(-1, 3)]),
        ("清明节", [TermUtils.nth_term_day(year, term_name="清明")]),
        ("劳动节", [date(year, 5, 1), date(year, 5, 2)]),
        ("端午节", [LunarDate(year, 5, 5).to_solar_date()]),
        ("中秋节", [LunarDate(year, 8, 15).to_solar_date()]),
        ("国庆节", [date(year, 10, 1), date(year, 10, 2), date(year, 10, 3)]),
    ]


def statutory_holidays(year: int) -> dict[date, str]:
    """The year's provisional days off: date → name (补假 days named as such)."""
    days: dict[date, str] = {}
    for name, festival in _festivals(year):
        for day in festival:
            days.setdefault(day, name)
    for name, festival in _festivals(year):
        owed = sum(1 for day in festival if day.weekday() >= SATURDAY)
        day = max(festival)
        while owed:
            day += timedelta(days=1)
            if day.weekday() < SATURDAY and day not in days:
                days[day] = f"{name}（补假）"
                owed -= 1
    return dict(sorted(days.items()))
