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
    wednesday = statuses(grid_plan(grid=g11, day=D("2026-03-04")))
    # Daily: checked Monday, not Tuesday (the period before today) → overdue.
    assert wednesday[("T1", g11.name)] == "overdue"
    # Weekly: 1号楼 done this week; 2号楼 added on Tuesday → due, not overdue.
    assert wednesday[("T2", "1号楼")] == "done"
    assert wednesday[("T2", "2号楼")] == "due"
    # Monthly: the rental room was not checked in February → overdue.
    assert wednesday[("T3", "1号楼1单元101")] == "overdue"

    # Tuesday 3 March: the daily item was checked on Monday → due today (not overdue).
    assert statuses(grid_plan(grid=g11, day=D("2026-03-03")))[("T1", g11.name)] == "due"
    # Monday 2 March, before 2号楼 existed: it is not in the plan.
    assert ("T2", "2号楼") not in statuses(grid_plan(grid=g11, day=D("2026-03-02")))

    # Wednesday: the rental room is checked → done for March.
    walk(worker, g11, "2026-03-04", [(monthly, "rental", rental.pk)])
    assert statuses(grid_plan(grid=g11, day=D("2026-03-04")))[("T3", "1号楼1单元101")] == "done"

    # Next week (Tuesday 10 March): 1号楼 was checked last week → due; 2号楼 existed all
    # last week unchecked → overdue. March's rental check still counts → done.
    next_week = statuses(grid_plan(grid=g11, day=D("2026-03-10")))
    assert next_week[("T2", "1号楼")] == "due"
    assert next_week[("T2", "2号楼")] == "overdue"
    assert next_week[("T3", "1号楼1单元101")] == "done"
    # April: March was checked → due, not overdue.
    assert statuses(grid_plan(grid=g11, day=D("2026-04-01")))[("T3", "1号楼1单元101")] == "due"


@pytest.mark.django_db
def test_worker_plan_covers_the_workers_grids(cast, tree, small_checklist, housing):
    plans = worker_plan(worker=cast["worker"], day=D("2026-03-04"))
    assert [plan.grid.pk for plan in plans] == [tree["G11"].pk]
    assert plans[0].counts == {"done": 0, "due": 1, "overdue": 3}
    # The grid leader of community C1 patrols both of its grids.
    assert {plan.grid.pk for plan in worker_plan(worker=cast["grid_leader"], day=D("2026-03-04"))} == {tree["G11"].pk, tree["G12"].pk}
    assert worker_plan(worker=cast["dispatcher"], day=D("2026-03-04")) == []
