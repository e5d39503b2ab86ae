"""Due and overdue, worked by hand (Monday 2 March 2026 starts the week)."""

import datetime

import pytest

from patrols.plans import grid_plan, worker_plan
from patrols.services import check_record, round_end, round_start
from tests.patrols.conftest import local

D = datetime.date.fromisoformat


def statuses(plan) -> dict:
    return {(item.version.item.code, slot.object.label): slot.status for item in plan.items for slot in item.slots}


def walk(worker, grid, day, checks):
    """A round on ``day`` checking ``checks``: [(item, kind, object id)]."""
    round, _ = round_start(actor=worker, key=f"r-{day}", grid=grid, at=local(day, 9))
    for n, (item, kind, object_id) in enumerate(checks):
        check_record(actor=worker, round_id=round.pk, key=f"c-{day}-{n}", item=item, object_kind=kind, object_id=object_id,
                     result="done", at=local(day, 9, 10 + n))
    round_end(actor=worker, round_id=round.pk, at=local(day, 11))
    return round


@pytest.mark.django_db
def test_due_done_and_overdue_by_frequency_and_object(cast, tree, small_checklist, housing):
    g11, worker = tree["G11"], cast["worker"]
    daily, weekly, monthly = small_checklist["daily"], small_checklist["weekly"], small_checklist["monthly"]
    b1, rental = housing["b1"], housing["rental"]

    # Monday: the grid's daily item and 1号楼's weekly item are checked.
    walk(worker, g11, "2026-03-02", [(daily, "grid", g11.pk), (weekly, "building", b1.pk)])

    # Wednesday 4 March.
    wednesday = statuses(grid_plan(grid=g11, viewer=None, day=D("2026-03-04")))
    # Daily: checked Monday, not Tuesday (the period before today) → overdue.
    assert wednesday[("T1", g11.name)] == "overdue"
    # Weekly: 1号楼 done this week; 2号楼 added on Tuesday → due, not overdue.
    assert wednesday[("T2", "1号楼")] == "done"
    assert wednesday[("T2", "2号楼")] == "due"
    # Monthly: the rental room was not checked in February → overdue.
    assert wednesday[("T3", "1号楼1单元101")] == "overdue"

    # Tuesday 3 March: the daily item was checked on Monday → due today (not overdue).
    assert statuses(grid_plan(grid=g11, viewer=None, day=D("2026-03-03")))[("T1", g11.name)] == "due"
    # Monday 2 March, before 2号楼 existed: it is not in the plan.
    assert ("T2", "2号楼") not in statuses(grid_plan(grid=g11, viewer=None, day=D("2026-03-02")))

    # Wednesday: the rental room is checked → done for March.
    walk(worker, g11, "2026-03-04", [(monthly, "rental", rental.pk)])
    assert statuses(grid_plan(grid=g11, viewer=None, day=D("2026-03-04")))[("T3", "1号楼1单元101")] == "done"

    # Next week (Tuesday 10 March): 1号楼 was checked last week → due; 2号楼 existed all
    # last week unchecked → overdue. March's rental check still counts → done.
    next_week = statuses(grid_plan(grid=g11, viewer=None, day=D("2026-03-10")))
    assert next_week[("T2", "1号楼")] == "due"
    assert next_week[("T2", "2号楼")] == "overdue"
    assert next_week[("T3", "1号楼1单元101")] == "done"
    # April: March was checked → due, not overdue.
    assert statuses(grid_plan(grid=g11, viewer=None, day=D("2026-04-01")))[("T3", "1号楼1单元101")] == "due"


@pytest.mark.django_db
def test_worker_plan_covers_the_workers_grids(cast, tree, small_checklist, housing):
    plans = worker_plan(worker=cast["worker"], day=D("2026-03-04"))
    assert [plan.grid.pk for plan in plans] == [tree["G11"].pk]
    assert plans[0].counts == {"done": 0, "due": 1, "overdue": 3}
    # The grid leader of community C1 patrols both of its grids.
    assert {plan.grid.pk for plan in worker_plan(worker=cast["grid_leader"], day=D("2026-03-04"))} == {tree["G11"].pk, tree["G12"].pk}
    assert worker_plan(worker=cast["dispatcher"], day=D("2026-03-04")) == []


@pytest.mark.django_db
def test_special_group_items_follow_need_to_know(cast, tree, small_checklist, make_user):
    """An item on special-group households lists a person under their tag: only the roles
    that may see that tag (residents.privacy) get it in their plan."""
    from accounts.models import Role
    from events.models import Category
    from patrols.services import patrol_item_create
    from residents.services import resident_register, resident_tag_add

    g11 = tree["G11"]
    parttime = make_user(Role.PARTTIME_WORKER, area=g11, username="g11_parttime")
    patrol_class = small_checklist["daily"].patrol_class
    patrol_item_create(actor=None, patrol_class=patrol_class, code="T4", name="社区矫正对象走访", guidance="见面谈话",
                       target="special", frequency="weekly", kinds=["community_correction"],
                       default_category=Category.objects.get(code="0101"))
    patrol_item_create(actor=None, patrol_class=patrol_class, code="T5", name="独居老人探访", guidance="看望",
                       target="special", frequency="weekly", kinds=[], default_category=Category.objects.get(code="0101"))
    corrected = resident_register(actor=cast["admin"], grid=g11, name="周强", id_number="11010519491231002X")
    elder = resident_register(actor=cast["admin"], grid=g11, name="李奶奶", id_number="440524188001010014")
    resident_tag_add(actor=cast["admin"], resident=corrected, group="community_correction", since=D("2026-01-05"))
    resident_tag_add(actor=cast["admin"], resident=elder, group="elderly_alone", since=D("2026-01-05"))

    def listed(user):
        return {slot.object.label for plan in worker_plan(worker=user, day=D("2026-03-04"))
                for item in plan.items if item.version.target == "special" for slot in item.slots}

    # The full-time worker sees both; the part-time 楼栋长 only the care tag's person,
    # also under the item that applies to every group.
    assert listed(cast["worker"]) == {"周强", "李奶奶"}
    assert listed(parttime) == {"李奶奶"}
    assert "周强" not in {slot.object.label for plan in worker_plan(worker=parttime, day=D("2026-03-04"))
                         for item in plan.items for slot in item.slots}
