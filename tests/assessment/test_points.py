"""Grid-worker points (积分): each seeded rule on the October data set, one entry per
rule and source object, the monthly ranking, and rule edits."""

from datetime import date

import pytest
from freezegun import freeze_time

from assessment.models import PointEntry, PointRule
from assessment.periods import period_parse
from assessment.selectors import points_ranking
from assessment.services import points_award
from residents.services import care_visit_record, key_place_create, place_inspection_record, resident_register, resident_tag_add
from tests.assessment.conftest import at
from tests.residents.factories import id_number

OCTOBER = period_parse("2026-10")


@pytest.fixture
def field_work(october, cast, tree):
    """One care visit and one key-place patrol by the worker in October, one of each in November."""
    worker = cast["worker"]
    with freeze_time(at(10, 19, 9)):
        resident = resident_register(actor=worker, grid=tree["G11"], name="李奶奶", id_number=id_number(sequence=2))
        tag = resident_tag_add(actor=worker, resident=resident, group="elderly_alone", since=date(2026, 10, 1))
        care_visit_record(actor=worker, tag=tag, visited_on=date(2026, 10, 19))
        place = key_place_create(actor=worker, grid=tree["G11"], name="月塘农贸市场", kind="market")
        place_inspection_record(actor=worker, place=place, inspected_on=date(2026, 10, 19), result="passed")
    with freeze_time(at(11, 3, 9)):
        care_visit_record(actor=worker, tag=tag, visited_on=date(2026, 11, 3))
        place_inspection_record(actor=worker, place=place, inspected_on=date(2026, 11, 3), result="passed")


def points_by_rule(user):
    return {rule: sum(points for code, points in PointEntry.objects.filter(user=user).values_list("rule__code", "points")
                      if code == rule)
            for rule in PointRule.objects.values_list("code", flat=True)}


@pytest.mark.django_db
def test_every_rule_on_the_october_data_set(field_work, cast):
    added = points_award(actor=None, period=OCTOBER)
    worker = points_by_rule(cast["worker"])
    assert worker == {
        # valid reports: E1 E2 E3 E4 E5 E8 E9 E10 = 8 × 2
        "valid-report": 16,
        # verifications: E1, E2, E3 (failed and passed), E4, E10 = 6 × 1 (E9 by the grid leader)
        "verification": 6,
        # one care visit and one patrol in October (the November ones do not count)
        "care-visit": 1,
        "patrol": 1,
        # E6 rejected: −1
        "rejected-report": -1,
        # E10 verified late: −2
        "late-verification": -2,
        # no patrol rounds in this data set (tests/patrols/test_points.py)
        "patrol-round": 0,
        "patrol-finding": 0,
    }
    leader = points_by_rule(cast["grid_leader"])
    assert leader["verification"] == 1 and sum(leader.values()) == 1
    # 8 + 6 + 1 + 1 + 1 + 1 entries for the worker, 1 for the grid leader
    assert added == 19
    # The command center's dispatcher is no grid worker: no points.
    assert not PointEntry.objects.filter(user=cast["dispatcher"]).exists()

    ranking = points_ranking(user=cast["leader"], month=date(2026, 10, 1))
    assert [(row["username"], row["points"], row["rank"]) for row in ranking] == [("g11_worker", 21, 1), ("c1_leader", 1, 2)]


@pytest.mark.django_db
def test_awarding_twice_adds_nothing(field_work, cast):
    first = points_award(actor=None, period=OCTOBER)
    second = points_award(actor=None, period=OCTOBER)
    assert first == 19 and second == 0
    assert PointEntry.objects.count() == 19


@pytest.mark.django_db
def test_rule_edits_apply_to_new_awards_and_inactive_rules_award_nothing(field_work, cast):
    PointRule.objects.filter(code="valid-report").update(points=3)
    PointRule.objects.filter(code="patrol").update(is_active=False)
    points_award(actor=None, period=OCTOBER)
    worker = points_by_rule(cast["worker"])
    assert worker["valid-report"] == 24
    assert worker["patrol"] == 0


@pytest.mark.django_db
def test_ranking_is_scoped(field_work, cast, make_user, tree):
    from accounts.models import Role

    points_award(actor=None, period=OCTOBER)
    other_street_leader = make_user(Role.LEADER, area=tree["S2"])
    assert points_ranking(user=other_street_leader, month=date(2026, 10, 1)) == []
