"""Periods are local days in Asia/Shanghai with aware bounds."""

from datetime import UTC, date, datetime

import pytest

from assessment.periods import PeriodError, period_parse


@pytest.mark.parametrize("text, start, end, previous", [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "2026-09"),
    ("2026-01", date(2026, 1, 1), date(2026, 1, 31), "2025-12"),
    ("2026-W01", date(2025, 12, 29), date(2026, 1, 4), "2025-W52"),
    ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31), "2025-Q4"),
    ("2026-10-05", date(2026, 10, 5), date(2026, 10, 5), "2026-10-04"),
    ("2026-10-01..2026-10-15", date(2026, 10, 1), date(2026, 10, 15), "2026-09-16..2026-09-30"),
])
def test_parse_and_previous(text, start, end, previous):
    period = period_parse(text)
    assert (period.start, period.end, period.previous().label) == (start, end, previous)


def test_bounds_are_local_midnights():
    october = period_parse("2026-10")
    assert october.since == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert october.until == datetime(2026, 10, 31, 16, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "2026", "2026-00", "2026-W60", "2026-Q5", "2026-02-30", "next month"])
def test_bad_periods(text):
    with pytest.raises(PeriodError):
        period_parse(text)
