"""Targets follow the registry by themselves after publishing: a move through the
residents' services marks its grid in the same transaction, and the sweep (the task
handed off on commit, and beat's relay) refreshes the published campaigns over it —
no one presses "refresh"."""

import datetime

import pytest

from campaigns.counters import progress_drift
from campaigns.models import RefreshDue, Target, TargetStatus
from campaigns.selectors import progress_rows
from campaigns.tasks import campaigns_refresh_due_task
from residents.models import Household
from residents.services import key_place_create, resident_move_out, resident_register, resident_tag_add
from tests.campaigns.conftest import _room
from tests.residents.factories import id_number

pytestmark = pytest.mark.django_db


def statuses(campaign):
    return dict(Target.objects.filter(campaign=campaign).values_list("label", "status"))


def test_moving_out_and_in_updates_the_targets_without_a_button(registry, make_campaign, crew, tree):
    campaign = make_campaign()
    other = make_campaign(area="S1")  # a second published campaign over the same grids
    # H2's only member moves out (G11); a new household moves into G12.
    resident_move_out(actor=crew["worker"], resident=registry["H2_people"][0], moved_out_on=datetime.date(2026, 1, 5))
    room = _room(tree["G12"], "2栋", "1单元", "301")
    household = Household.objects.create(grid=tree["G12"], number="H7", room=room)
    resident_register(actor=crew["g12_worker"], grid=tree["G12"], name="新住户", id_number=id_number(sequence=771),
                      room=room, household=household, moved_in_on=datetime.date(2026, 1, 6))
    assert sorted(RefreshDue.objects.values_list("grid_id", flat=True)) == sorted([tree["G11"].pk, tree["G12"].pk])
    assert statuses(campaign)["1栋1单元102 #H2"] == TargetStatus.PENDING  # not yet swept

    result = campaigns_refresh_due_task()

    assert result == {"grids": 2, "campaigns": 2, "moved_out": 2, "moved": 0, "added": 2}
    for each in (campaign, other):
        now = statuses(each)
        assert now["1栋1单元102 #H2"] == TargetStatus.MOVED_OUT
        assert now["2栋1单元301 #H7"] == TargetStatus.PENDING
        assert Target.objects.get(campaign=each, label="2栋1单元301 #H7").worker == crew["g12_worker"]
        assert progress_drift(each) == []
    street = progress_rows(campaign, tree["S1"])[0]
    assert (street.targets, street.moved_out, street.due) == (4, 1, 3)
    assert not RefreshDue.objects.exists()
    assert campaigns_refresh_due_task()["grids"] == 0  # twice is harmless


def test_visited_targets_stay_and_other_kinds_follow_too(registry, make_campaign, crew, tree):
    from campaigns.answers import target_answer

    households = make_campaign()
    elderly = make_campaign(kind="special_group", groups=["elderly_alone"])
    places = make_campaign(kind="key_place", place_kinds=["market"])
    h2 = Target.objects.get(campaign=households, label="1栋1单元102 #H2")
    target_answer(actor=crew["worker"], target=h2, outcome="visited", idempotency_key="v", values={"has_gas": "no"})
    # H2's member moves out after the visit; H1's first member joins the elderly living
    # alone; a second market opens in G11.
    resident_move_out(actor=crew["worker"], resident=registry["H2_people"][0], moved_out_on=datetime.date(2026, 1, 5))
    newcomer = registry["H1_people"][0]
    resident_tag_add(actor=crew["worker"], resident=newcomer, group="elderly_alone", since=datetime.date(2026, 1, 1))
    key_place_create(actor=crew["worker"], grid=tree["G11"], name="新市场", kind="market")

    campaigns_refresh_due_task()

    assert Target.objects.get(pk=h2.pk).status == TargetStatus.DONE  # a visit is never undone
    assert Target.objects.filter(campaign=elderly, object_id=newcomer.pk, status=TargetStatus.PENDING).exists()
    assert set(Target.objects.filter(campaign=places).values_list("label", flat=True)) == {"菜市场", "新市场"}
    assert all(progress_drift(each) == [] for each in (households, elderly, places))


def test_a_move_that_rolls_back_marks_nothing(registry, make_campaign, crew):
    from django.db import transaction

    make_campaign()
    with pytest.raises(RuntimeError), transaction.atomic():
        resident_move_out(actor=crew["worker"], resident=registry["H2_people"][0], moved_out_on=datetime.date(2026, 1, 5))
        raise RuntimeError("the move fails after the service")
    assert not RefreshDue.objects.exists()


def test_a_file_import_marks_the_grids_it_changed_and_the_sweep_adds_the_new_household(registry, make_campaign, tree, tmp_path):
    """An import does not go through resident_register, but tells campaigns the grids its
    rows created or changed people in, once at its end (an unchanged file, none)."""
    import csv

    from residents.imports import HEADERS, import_file
    from tests.residents.conftest import row

    campaign = make_campaign()
    path = tmp_path / "new.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADERS, row(name="导入住户", id_number=id_number(sequence=772), grid=tree["G12"].code,
                                                   building="5栋", unit="1单元", room="101", household="H9")])

    import_file(actor=None, path=path)

    assert list(RefreshDue.objects.values_list("grid_id", flat=True)) == [tree["G12"].pk]
    assert campaigns_refresh_due_task()["added"] == 1
    assert statuses(campaign)["5栋1单元101 #H9"] == TargetStatus.PENDING
    import_file(actor=None, path=path)
    assert not RefreshDue.objects.exists()
