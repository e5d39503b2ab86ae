"""Buildings, key places, households, residents and special-group people in the demo city's grid
43130200100102 (月塘社区第2网格, the grid of the demo worker ``yuetang_worker``), so the
grid worker's pages (my grid, care visits, notice board with its QR code) have
something to show. Made through the services; loading twice adds nothing."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from grids.models import Area
from residents.ids import check_char
from residents.models import Building, Household, Room, Unit
from residents.services import key_place_create, resident_register, resident_tag_add

GRID = "43130200100102"
# name, birth date, sequence, phone, building, special group (or "") and days since tagged
PEOPLE = [
    ("王桂英", datetime.date(1941, 3, 8), 22, "13807381001", "1栋", "elderly_alone", 400),
    ("刘建华", datetime.date(1975, 11, 2), 31, "13807381002", "1栋", "", 0),
    ("陈小红", datetime.date(1978, 6, 15), 42, "13807381003", "2栋", "", 0),
    ("周强", datetime.date(1990, 1, 20), 51, "13807381004", "2栋", "drug_user", 10),
    ("李军", datetime.date(1968, 8, 1), 61, "13807381005", "3栋", "veteran", 20),
    ("赵思远", datetime.date(2012, 9, 9), 72, "", "3栋", "left_behind_child", 120),
]


def _id_number(birth: datetime.date, sequence: int) -> str:
    first17 = f"431302{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


@transaction.atomic
def load_demo_residents() -> int:
    grid = Area.objects.filter(code=GRID).first()
    if grid is None or Building.objects.filter(grid=grid).exists():
        return 0
    lat = grid.label_lat or (grid.min_lat + grid.max_lat) / 2
    lon = grid.label_lon or (grid.min_lon + grid.max_lon) / 2
    parttime = User.objects.filter(username="yuetang_parttime").first()
    worker = User.objects.filter(username="yuetang_worker").first()
    units = {}
    for index, name in enumerate(("1栋", "2栋", "3栋")):
        building = Building.objects.create(
            grid=grid, name=name, address=f"月塘路{18 + index * 2}号", lat=lat + 0.0004 * (index - 1),
            lon=lon + 0.0005 * (index - 1), floors=6 + index, leader=parttime if index == 0 else None,
            leader_name="" if index == 0 else ["", "孙丽", "钱明"][index], leader_phone="" if index == 0 else f"1390738200{index}")
        units[name] = Unit.objects.create(building=building, name="1单元", leader_name="周红", leader_phone="13907382101")
    key_place_create(actor=None, grid=grid, name="月塘农贸市场", kind="market", address="月塘路30号",
                     contact_name="彭海", contact_phone="0738-8220001")
    key_place_create(actor=None, grid=grid, name="月塘加油站", kind="hazardous", address="月塘路40号",
                     contact_name="何平", contact_phone="0738-8220002")
    today = timezone.localdate()
    for number, (name, birth, sequence, phone, building, group, days) in enumerate(PEOPLE, start=101):
        unit = units[building]
        room = Room.objects.create(unit=unit, building_id=unit.building_id, number=str(number))
        household = Household.objects.create(grid=grid, number=f"{building}{number}", room=room)
        resident = resident_register(actor=None, grid=grid, name=name, id_number=_id_number(birth, sequence), phone=phone,
                                     room=room, household=household)
        if group and worker is not None:
            resident_tag_add(actor=worker, resident=resident, group=group, since=today - datetime.timedelta(days=days))
    return len(PEOPLE)

