"""Grid-worker points (积分): each seeded rule on the October data set, one entry per
rule and source object, the monthly ranking, and rule edits."""

from datetime import date

import pytest
from freezegun import freeze_time

from assessment.models import PointEntry, PointMark, PointRule
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


def points_by_rule(user, month=date(2026, 10, 1)):
    return {rule: sum(points for code, points in
                      PointEntry.objects.filter(user=user, month=month).values_list("rule__code", "points") if code == rule)
            for rule in PointRule.objects.values_list("code", flat=True)}


OCTOBER_WORKER = {
    # valid reports: E1 E2 E3 E4 E5 E8 E9 E10 = 8 × 2
    "valid-report": 16,
    # verifications: E1, E2, E3 (failed and passed), E4, E10 = 6 × 1 (E9 by the grid leader)
    "verification": 6,
    # one care visit and one patrol in October (the November ones count in November)
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


@pytest.mark.django_db
def test_work_earns_its_points_as_it_is_recorded(field_work, cast):
    """No award run at all: each accept, reject, verification, care visit and inspection
    wrote its entry in its own transaction, in the month of the work."""
    assert points_by_rule(cast["worker"]) == OCTOBER_WORKER
    assert points_by_rule(cast["worker"], month=date(2026, 11, 1)) == {
        **dict.fromkeys(OCTOBER_WORKER, 0), "care-visit": 1, "patrol": 1}
    leader = points_by_rule(cast["grid_leader"])
    assert leader["verification"] == 1 and sum(leader.values()) == 1
    # The command center's dispatcher is no grid worker: no points.
    assert not PointEntry.objects.filter(user=cast["dispatcher"]).exists()
    ranking = points_ranking(user=cast["leader"], month=date(2026, 10, 1))
    assert [(row["username"], row["points"], row["rank"]) for row in ranking] == [("g11_worker", 21, 1), ("c1_leader", 1, 2)]
    # The sweep finds nothing left to award.
    assert points_award(actor=None, period=OCTOBER) == 0


@pytest.mark.django_db
def test_every_rule_on_the_october_data_set(field_work, cast):
    """The sweep's first run (no marks) reads the whole period: the same entries."""
    PointEntry.objects.all().delete()
    added = points_award(actor=None, period=OCTOBER)
    assert points_by_rule(cast["worker"]) == OCTOBER_WORKER
    # 8 + 6 + 1 + 1 + 1 + 1 entries for the worker, 1 for the grid leader (and the
    # month so far, December 2026 here: nothing)
    assert added == 19
    assert points_award(actor=None, period=OCTOBER) == 0


@pytest.mark.django_db
def test_the_sweep_reads_only_what_is_new(field_work, cast, tree):
    """After a first run, a run reads only the rows above each rule's mark: work written
    without the immediate award (in bulk) is found, old work is not read again (a lost
    entry of old work stays lost until a recount reads the period whole)."""
    from residents.models import CareVisit

    points_award(actor=None, period=OCTOBER)
    marks = dict(PointMark.objects.values_list("rule__code", "through_id"))
    assert marks["care-visit"] == CareVisit.objects.order_by("-pk").first().pk
    assert marks["patrol-round"] is None  # read whole each run (few rows)

    lost = PointEntry.objects.get(user=cast["worker"], rule__code="care-visit", month=date(2026, 10, 1))
    lost.delete()
    visit = CareVisit.objects.order_by("pk").first()
    with freeze_time(at(10, 20, 9)):  # more than half an hour ago: the mark may pass it
        CareVisit.objects.bulk_create([CareVisit(tag=visit.tag, visited_on=date(2026, 10, 20), visited_by=cast["worker"],
                                                 note="批量导入")])
    assert points_award(actor=None, period=OCTOBER) == 1
    assert points_by_rule(cast["worker"])["care-visit"] == 1  # the new one; the lost one not read again
    assert points_award(actor=None, period=OCTOBER, full=True) == 1  # the recount finds it
    assert points_by_rule(cast["worker"])["care-visit"] == 2


@pytest.mark.django_db
def test_recent_rows_are_read_again_until_they_are_old(field_work, cast):
    """A row newer than the overlap stays above the mark, so a transaction that commits
    late with a lower id is still read by the next run."""
    from django.utils import timezone

    from residents.models import CareVisit

    points_award(actor=None, period=OCTOBER)
    visit = CareVisit.objects.order_by("pk").first()
    fresh = CareVisit.objects.bulk_create([CareVisit(tag=visit.tag, visited_on=timezone.localdate(),
                                                     visited_by=cast["worker"])])[0]
    assert points_award(actor=None, period=OCTOBER) == 1
    assert PointMark.objects.get(rule__code="care-visit").through_id < fresh.pk
    assert points_award(actor=None, period=OCTOBER) == 0  # read again, awarded once


@pytest.mark.django_db
def test_rule_edits_apply_to_new_awards_and_inactive_rules_award_nothing(field_work, cast):
    PointEntry.objects.all().delete()  # as if the rules had been edited before the work
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


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_award_once(cast, tree):
    """Two sweeps started together (two workers, two connections): every item once."""
    import threading

    from django.db import connection

    from assessment.seed import ratio_seed
    from residents.models import CareVisit

    # The rules as the migration seeds them: a transactional test before this one may have
    # emptied the tables (restoring the serialized database instead failed in that order:
    # the content types were there again).
    ratio_seed()
    worker = cast["worker"]
    with freeze_time(at(10, 19, 9)):
        resident = resident_register(actor=worker, grid=tree["G11"], name="王爷爷", id_number=id_number(sequence=4))
        tag = resident_tag_add(actor=worker, resident=resident, group="elderly_alone", since=date(2026, 10, 1))
        CareVisit.objects.bulk_create([CareVisit(tag=tag, visited_on=date(2026, 10, day), visited_by=worker)
                                       for day in range(1, 21)])
    barrier, added, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait()
            added.append(points_award(actor=None, period=OCTOBER))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(added) == [0, 20]
    assert PointEntry.objects.filter(rule__code="care-visit").count() == 20


@pytest.mark.django_db
def test_a_rule_switched_off_is_felt_by_the_next_accept(cast, file):
    """The active rules are read from memory on every accept; saving a rule invalidates
    them, so a rule switched off earns nothing from the next accept on."""
    from workflow.services import event_transition

    first = file()
    event_transition(actor=cast["dispatcher"], event_id=first.pk, name="accept")
    assert PointEntry.objects.filter(rule__code="valid-report", source_id=first.pk).exists()
    rule = PointRule.objects.get(code="valid-report")
    rule.is_active = False
    rule.save()
    second = file(description="又一处垃圾")
    event_transition(actor=cast["dispatcher"], event_id=second.pk, name="accept")
    assert not PointEntry.objects.filter(rule__code="valid-report", source_id=second.pk).exists()
