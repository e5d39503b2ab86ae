"""The dashboard's figures: scoped, aggregated by the database, per local day."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events.dashboard import MAX_DAYS, dashboard_figures
from workflow.models import Stage, Timer

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def week(file, walk, cast, tree):
    """Five events over three days in 乐坪 (two closed), one in 青树 (another street)."""
    day1, day2, day3 = TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY
    events = {
        "garbage1": file(category="0101", reported_at=at(day1)),
        "garbage2": file(category="0101", reported_at=at(day2), latitude=27.703),
        # 23:30 in Shanghai is 15:30 UTC: still day 2 locally.
        "late_night": file(category="0102", reported_at=at(day2, 23, 30), latitude=27.701),
        "today": file(category="0101", reported_at=at(day3), latitude=27.709),
        "g12": file(actor=cast["dispatcher"], category="0103", reported_at=at(day3), longitude=112.015),
        "far": file(actor=cast["outsider"], category="0101", reported_at=at(day3), latitude=27.405, longitude=112.205),
    }
    events["garbage1"] = walk(events["garbage1"], "closed")
    events["garbage2"] = walk(events["garbage2"], "closed")
    return events


def test_counts_by_state_per_day_and_top_lists_cover_the_users_area_only(week, cast):
    figures = dashboard_figures(user=cast["dispatcher"], start=TODAY - timedelta(days=2), end=TODAY)

    assert figures["start"] == TODAY - timedelta(days=2) and figures["end"] == TODAY
    assert figures["by_state"]["reported"] == 3
    assert figures["by_state"]["closed"] == 2
    assert set(figures["by_state"]) >= {"reported", "accepted", "dispatched", "handling", "archived", "merged"}
    assert figures["totals"]["new"] == 5
    assert figures["totals"]["open_now"] == 3
    assert [row["new"] for row in figures["per_day"]] == [1, 2, 2]
    assert [row["day"] for row in figures["per_day"]] == [TODAY - timedelta(days=2), TODAY - timedelta(days=1), TODAY]
    assert figures["top_categories"][0]["code"] == "0101"
    assert figures["top_categories"][0]["count"] == 3
    assert figures["top_categories"][0]["big_class"]
    assert [row["code"] for row in figures["top_grids"]] == ["43130200100101", "43130200100102"]
    assert figures["top_grids"][0]["count"] == 4


def test_an_outsider_counts_only_their_own_area(week, cast):
    figures = dashboard_figures(user=cast["outsider"], start=TODAY - timedelta(days=2), end=TODAY)

    assert figures["totals"]["new"] == 1
    assert [row["code"] for row in figures["top_grids"]] == ["43132110020101"]
    assert figures["departments"] == []


def test_closures_are_counted_on_the_day_they_happened(week, cast):
    today = timezone.localdate()
    figures = dashboard_figures(user=cast["dispatcher"], start=today - timedelta(days=1), end=today)

    assert figures["per_day"][-1]["closed"] == 2
    assert figures["totals"]["closed"] == 2


def test_a_department_that_handled_late_has_a_lower_on_time_rate(week, cast, departments):
    Timer.objects.filter(event=week["garbage2"], stage=Stage.HANDLE).update(breached=True)
    today = timezone.localdate()

    figures = dashboard_figures(user=cast["dispatcher"], start=today - timedelta(days=1), end=today)

    [row] = figures["departments"]
    assert row["id"] == departments["S1_cg"].pk
    assert (row["handled"], row["on_time"], row["rate"]) == (2, 1, 0.5)


def test_the_number_of_queries_does_not_grow_with_the_events(week, cast, file):
    start, end = TODAY - timedelta(days=2), TODAY
    with CaptureQueriesContext(connection) as before:
        dashboard_figures(user=cast["dispatcher"], start=start, end=end)
    for index in range(5):
        file(category="0104", reported_at=at(TODAY, 9, index), latitude=27.7 + index / 1000)
    with CaptureQueriesContext(connection) as after:
        figures = dashboard_figures(user=cast["dispatcher"], start=start, end=end)
    assert figures["totals"]["new"] == 10
    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_period_must_be_in_order_and_not_too_long(cast):
    with pytest.raises(ValueError):
        dashboard_figures(user=cast["dispatcher"], start=TODAY, end=TODAY - timedelta(days=1))
    with pytest.raises(ValueError):
        dashboard_figures(user=cast["dispatcher"], start=TODAY - timedelta(days=MAX_DAYS), end=TODAY)
    figures = dashboard_figures(user=cast["dispatcher"], start=TODAY, end=TODAY)
    assert figures["per_day"] == [{"day": TODAY, "new": 0, "closed": 0}]
