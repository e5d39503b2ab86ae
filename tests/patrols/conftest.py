"""Patrol fixtures: the seeded checklist, and a hand-made small one for worked cases."""

import datetime

import pytest
from django.utils import timezone

from patrols.catalogue import catalogue_seed
from patrols.models import PatrolItem, PatrolItemVersion
from patrols.services import patrol_item_create

LONG_AGO = datetime.datetime(2026, 1, 1, 8, 0, tzinfo=timezone.get_fixed_timezone(480))


def local(day: str, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """An aware local time (Asia/Shanghai) on a YYYY-MM-DD day."""
    return timezone.make_aware(datetime.datetime.combine(datetime.date.fromisoformat(day), datetime.time(hour, minute)))


@pytest.fixture
def checklist(cast):
    """The seeded checklist (migrations seed it; tests with real transactions flush it)."""
    catalogue_seed()


@pytest.fixture
def small_checklist(checklist, cast):
    """Only three items, published long ago: a daily whole-grid item, a weekly building
    item and a monthly rental-room item."""
    from events.models import Category

    PatrolItem.objects.update(is_active=False)
    patrol_class = PatrolItem.objects.first().patrol_class
    garbage = Category.objects.get(code="0101")
    items = {
        "daily": patrol_item_create(actor=None, patrol_class=patrol_class, code="T1", name="暴露垃圾", guidance="看垃圾",
                                    target="grid", frequency="daily", default_category=garbage),
        "weekly": patrol_item_create(actor=None, patrol_class=patrol_class, code="T2", name="消防通道", guidance="看通道",
                                     target="building", frequency="weekly", default_category=Category.objects.get(code="0801")),
        "monthly": patrol_item_create(actor=None, patrol_class=patrol_class, code="T3", name="租客登记", guidance="核对租客",
                                      target="rental", frequency="monthly", default_category=Category.objects.get(code="0704")),
    }
    PatrolItemVersion.objects.filter(item__code__in=["T1", "T2", "T3"]).update(created_at=LONG_AGO)
    return items


@pytest.fixture
def housing(tree):
    """In grid G11: building 1号楼 (known since January) with a rental room and a shop,
    and 2号楼, added on Tuesday 3 March 2026."""
    from residents.models import Building, Room, Unit

    b1 = Building.objects.create(grid=tree["G11"], name="1号楼", lat=27.7051, lon=112.0051)
    b2 = Building.objects.create(grid=tree["G11"], name="2号楼", lat=27.7055, lon=112.0058)
    Building.objects.filter(pk=b1.pk).update(created_at=LONG_AGO)
    Building.objects.filter(pk=b2.pk).update(created_at=local("2026-03-03", 10))
    unit = Unit.objects.create(building=b1, name="1单元")
    rental = Room.objects.create(unit=unit, building=b1, number="101", use="rental")
    return {"b1": b1, "b2": b2, "rental": rental}
