"""Every seeded ratio on the fixed October data set (tests/assessment/conftest.py),
against numbers worked out by hand."""

from datetime import date

import pytest

from assessment.periods import period_parse
from assessment.selectors import results_compute

OCTOBER = period_parse("2026-10")


def by_code(results):
    return {unit.code: unit for unit in results}


@pytest.mark.django_db
def test_street_s1_every_seeded_ratio(october, tree):
    s1 = by_code(results_compute(user=None, kind="street", period=OCTOBER))[tree["S1"].code]
    # Reported in October in S1: E1–E10 and E12 = 11 (E11 is September, E13 November).
    # Valid (accepted by the end, or on site): E1 E2 E3 E4 E5 E8 E9 E10 = 8.
    # Due for handling (valid, not suspended): 8 − E5 = 7.
    assert s1.counts == {
        # handled or closed by the end: E1 E2 E3 E4 E9 E10 (E8 not signed)
        "handling_rate": (6, 7),
        # ... with sign and handle on time: E2's handle stage was late
        "ontime_handling_rate": (5, 7),
        # closed by the end: E1 E2 E3 E4 E9 (E10 closed on 2 Nov)
        "closing_rate": (5, 7),
        # closed normally: E2 closed overdue
        "ontime_closing_rate": (4, 7),
        # handled (or in rework): E1 E2 E3 E4 E9 E10 = 6; reworked: E3
        "rework_rate": (1, 6),
        # dispatched: E1 E2 E3 E4 E5 E8 E10 = 7; postponed: E4
        "postponement_rate": (1, 7),
        # rated: E1 满意, E2 不满意, E3 基本满意, E9 满意 = 4 (E4 closed unrated, E10 rated in Nov)
        "satisfaction_rate": (3, 4),
        # 8 valid of 11 reported (E6 rejected, E7 merged, E12 not yet accepted)
        "valid_report_rate": (8, 11),
        # verified (or failed into rework): E1 E2 E3 E4 E9 E10 = 6; E10 verified late
        "ontime_verification_rate": (5, 6),
        # accepted, rejected or merged (not on site): E1–E8, E10 = 9; E8 accepted late
        "ontime_acceptance_rate": (8, 9),
    }
    # 60 × 5/7 + 30 × 5/7 + 10 × (1 − 1/6) = 64.2857 + 8.3333 = 72.62
    assert s1.score == 72.62
    assert s1.rank == 1


@pytest.mark.django_db
def test_community_and_grid_hold_the_same_events_as_the_street(october, tree):
    c1 = by_code(results_compute(user=None, kind="community", period=OCTOBER))[tree["C1"].code]
    grids = by_code(results_compute(user=None, kind="grid", period=OCTOBER))
    assert c1.counts["valid_report_rate"] == (8, 11)
    assert grids[tree["G11"].code].counts["valid_report_rate"] == (8, 11)
    # G12 had no events: no score, no rank.
    assert grids[tree["G12"].code].counts["valid_report_rate"] == (0, 0)
    assert grids[tree["G12"].code].score is None and grids[tree["G12"].code].rank is None


@pytest.mark.django_db
def test_department_s1_cg_every_seeded_ratio(october, departments):
    cg = by_code(results_compute(user=None, kind="department", period=OCTOBER))[departments["S1_cg"].code]
    # Primary department S1_cg: E1 E2 E3 E4 E5 E8 E10 = 7, all valid; due: 7 − E5 = 6.
    assert cg.counts == {
        "handling_rate": (5, 6),             # E1 E2 E3 E4 E10
        "ontime_handling_rate": (4, 6),      # − E2
        "closing_rate": (4, 6),              # E1 E2 E3 E4
        "ontime_closing_rate": (3, 6),       # − E2 (overdue)
        "rework_rate": (1, 5),               # E3 of E1 E2 E3 E4 E10
        "postponement_rate": (1, 7),         # E4 of the 7 dispatched
        "satisfaction_rate": (2, 3),         # E1 E3 of E1 E2 E3
        "valid_report_rate": (7, 7),
        "ontime_verification_rate": (4, 5),  # E10 late of E1 E2 E3 E4 E10
        "ontime_acceptance_rate": (6, 7),    # E8 late
    }
    # 60 × 4/6 + 30 × 4/6 + 10 × (1 − 1/5) = 40 + 20 + 8
    assert cg.score == 68.0
    # The district's 城管局 had no events.
    assert by_code(results_compute(user=None, kind="department", period=OCTOBER))[departments["A_cg"].code].score is None


@pytest.mark.django_db
def test_grid_worker_counts_their_reports(october, cast):
    worker = next(unit for unit in results_compute(user=None, kind="worker", period=OCTOBER) if unit.id == cast["worker"].pk)
    # The worker filed every S1 event: the same figures as the street.
    assert worker.counts["valid_report_rate"] == (8, 11)
    assert worker.counts["ontime_handling_rate"] == (5, 7)
    assert worker.score == 72.62


@pytest.mark.django_db
def test_street_s2_and_ranking(october, tree):
    streets = by_code(results_compute(user=None, kind="street", period=OCTOBER))
    s2 = streets[tree["S2"].code]
    # E14: valid, due, nothing handled; accepted in time; nothing rated, dispatched or verified.
    assert s2.counts["valid_report_rate"] == (1, 1)
    assert s2.counts["handling_rate"] == (0, 1)
    assert s2.counts["ontime_acceptance_rate"] == (1, 1)
    assert s2.counts["satisfaction_rate"] == (0, 0)
    assert s2.counts["rework_rate"] == (0, 0)
    # 60 × 0 + 30 × 0, rework left out (nothing handled) and the weights scaled up: 0.
    assert s2.score == 0.0
    assert [streets[tree[name].code].rank for name in ("S1", "S2", "S3")] == [1, 2, None]


@pytest.mark.django_db
def test_local_days_and_other_periods(october, tree):
    # 31 October local is E12 only (reported 23:30 local = 15:30 UTC).
    last_day = by_code(results_compute(user=None, kind="street", period=period_parse("2026-10-31")))[tree["S1"].code]
    assert last_day.counts["valid_report_rate"] == (0, 1)
    # 1 November local is E13 only.
    first_day = by_code(results_compute(user=None, kind="street", period=period_parse("2026-11-01")))[tree["S1"].code]
    assert first_day.counts["valid_report_rate"] == (0, 1)
    # Week 42 (12–18 Oct): E1 E2 E3 E4 E5 E6 = 6 reported, 5 valid.
    week = by_code(results_compute(user=None, kind="street", period=period_parse("2026-W42")))[tree["S1"].code]
    assert week.counts["valid_report_rate"] == (5, 6)
    # Q4 to date: October's 11 plus E13.
    quarter = by_code(results_compute(user=None, kind="street", period=period_parse("2026-Q4")))[tree["S1"].code]
    assert quarter.counts["valid_report_rate"] == (8, 12)
    assert period_parse("2026-10-13..2026-10-14").start == date(2026, 10, 13)


@pytest.mark.django_db
def test_same_period_twice_gives_the_same_figures(october):
    first = [(unit.code, unit.counts, unit.score) for unit in results_compute(user=None, kind="street", period=OCTOBER)]
    second = [(unit.code, unit.counts, unit.score) for unit in results_compute(user=None, kind="street", period=OCTOBER)]
    assert first == second


@pytest.mark.django_db
def test_one_query_for_every_kind_gives_the_same_figures(october, django_assert_max_num_queries):
    from assessment.selectors import results_compute_all

    # + the patrol ratios' coverage of grids and of grid workers: grouped queries, one per kind of object.
    with django_assert_max_num_queries(20 + 30):
        every = results_compute_all(period=OCTOBER)
    for kind in ("department", "street", "community", "grid", "worker"):
        one_kind = results_compute(user=None, kind=kind, period=OCTOBER)
        expected = [(unit.id, unit.counts, unit.score, unit.rank) for unit in one_kind]
        assert [(unit.id, unit.counts, unit.score, unit.rank) for unit in every[kind]] == expected, kind
