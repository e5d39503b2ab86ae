"""A small registry in the test tree and a campaign factory.

Street S1 (乐坪街道) ─ community C1 ─ grids G11 and G12; G31 lies in another district.

    G11: 1栋1单元 101 (self-occupied, household H1 of two), 102 (rental, H2 of one),
         201 (rental, H3 whose only member moved out); key place 菜市场 (market)
    G12: 2栋1单元 101 (self-occupied, H4 of one, an elderly person living alone);
         key place 医院 (hospital)
    G31: 9栋1单元 101 (H9 of one)  — outside the street
"""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from residents.models import Building, Household, KeyPlace, ResidentTag, Room, Unit
from tests.residents.factories import ResidentFactory

GAS_FORM = [
    {"code": "has_gas", "label": "是否使用燃气", "type": "yesno", "required": True},
    {"code": "leak", "label": "是否有泄漏", "type": "yesno", "required": True, "when": {"field": "has_gas", "equals": "yes"},
     "problem": {"equals": "yes"}},
    {"code": "hose_age", "label": "软管使用年限", "type": "number", "min": 0, "max": 50,
     "when": {"field": "has_gas", "equals": "yes"}, "problem": {"gt": 5}},
    {"code": "note", "label": "备注", "type": "text"},
]


def _room(grid, building, unit, number, use="self"):
    building, _ = Building.objects.get_or_create(grid=grid, name=building)
    unit, _ = Unit.objects.get_or_create(building=building, name=unit)
    return Room.objects.create(unit=unit, building=building, number=number, use=use)


def _household(grid, number, room, members, *, moved_out=False):
    household = Household.objects.create(grid=grid, number=number, room=room)
    people = [ResidentFactory(grid=grid, room=room, household=household,
                              moved_in_on=datetime.date(2020, 1, 1),
                              moved_out_on=datetime.date(2024, 1, 1) if moved_out else None) for _ in range(members)]
    return household, people


@pytest.fixture
def registry(tree):
    g11, g12, g31 = tree["G11"], tree["G12"], tree["G31"]
    r = {}
    r["room101"] = _room(g11, "1栋", "1单元", "101")
    r["room102"] = _room(g11, "1栋", "1单元", "102", "rental")
    r["room201"] = _room(g11, "1栋", "1单元", "201", "rental")
    r["room_g12"] = _room(g12, "2栋", "1单元", "101")
    r["room_g31"] = _room(g31, "9栋", "1单元", "101")
    r["H1"], r["H1_people"] = _household(g11, "H1", r["room101"], 2)
    r["H2"], r["H2_people"] = _household(g11, "H2", r["room102"], 1)
    r["H3"], r["H3_people"] = _household(g11, "H3", r["room201"], 1, moved_out=True)
    r["H4"], r["H4_people"] = _household(g12, "H4", r["room_g12"], 1)
    r["H9"], r["H9_people"] = _household(g31, "H9", r["room_g31"], 1)
    elderly = r["H4_people"][0]
    r["tag"] = ResidentTag.objects.create(resident=elderly, grid=g12, group="elderly_alone", care_level="key",
                                          since=datetime.date(2024, 1, 1), next_visit_due=datetime.date(2030, 1, 1))
    r["market"] = KeyPlace.objects.create(grid=g11, name="菜市场", kind="market")
    r["hospital"] = KeyPlace.objects.create(grid=g12, name="医院", kind="hospital")
    return r


@pytest.fixture
def crew(cast, make_user, tree):
    """The cast plus G12's worker and a second worker of G11."""
    return {**cast,
            "g12_worker": make_user(Role.GRID_WORKER, area=tree["G12"], username="g12_worker"),
            "g11_parttime": make_user(Role.PARTTIME_WORKER, area=tree["G11"], username="g11_parttime")}


@pytest.fixture
def make_campaign(tree, crew):
    from campaigns.services import campaign_create, campaign_publish

    def make(*, kind="household", area="S1", form=None, publish=True, actor="dispatcher", **extra):
        today = timezone.localdate()
        values = {"starts_on": today - datetime.timedelta(days=1), "ends_on": today + datetime.timedelta(days=9),
                  "problem_category": "0101", **extra}
        campaign = campaign_create(actor=crew[actor], area=tree[area], name="冬季燃气安全排查", target_kind=kind,
                                   form=form or GAS_FORM, **values)
        if publish:
            campaign_publish(actor=crew[actor], campaign=campaign)
            campaign.refresh_from_db()
        return campaign

    return make
