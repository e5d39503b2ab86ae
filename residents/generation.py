"""Synthetic residents for a generated city (``generate_city --residents N``).

Every basic grid of the city gets its share of residents in buildings of units and
floors, two rooms a floor per unit, one household a room of one to five people, with
valid ID numbers (region of the grid's district, real birth dates, sequence digit
matching the gender), phones, and special groups in realistic shares. Reproducible
from the seed. Rows go to the database through the import's batch writer (``COPY``
on PostgreSQL), and/or to a CSV file in the import layout (``--residents-file``).
"""

import csv
import datetime
import random
import time
from dataclasses import dataclass

from django.db import transaction

from governance.demo import person_name
from grids.models import Area, AreaLevel, GridType
from residents import crypto
from residents.ids import FEMALE, MALE, check_char
from residents.imports import HEADERS, PlaceCache, write_batch
from residents.models import (
    DEFAULT_CARE_LEVEL,
    VISIT_INTERVAL_DAYS,
    Building,
    Household,
    Resident,
    ResidentTag,
    Room,
    SpecialGroup,
    Unit,
)

BATCH = 5000
# Share of residents in each group, and the ages it applies to.
GROUP_SHARES = [
    (SpecialGroup.ELDERLY_ALONE, 0.12, 65, 110),  # of the elderly
    (SpecialGroup.LEFT_BEHIND_CHILD, 0.05, 0, 15),
    (SpecialGroup.KEY_YOUTH, 0.01, 14, 25),
    (SpecialGroup.DISABLED, 0.02, 0, 110),
    (SpecialGroup.LOW_INCOME, 0.02, 0, 110),
    (SpecialGroup.VETERAN, 0.015, 30, 110),
    (SpecialGroup.SEVERE_MENTAL_DISORDER, 0.004, 18, 110),
    (SpecialGroup.RELEASED_PRISONER, 0.002, 20, 80),
    (SpecialGroup.DRUG_USER, 0.001, 18, 70),
    (SpecialGroup.COMMUNITY_CORRECTION, 0.0005, 18, 80),
]
ETHNICITIES = ["汉族"] * 90 + ["土家族"] * 4 + ["苗族"] * 3 + ["瑶族", "侗族", "回族"]
RESIDENCE = [("户籍", "registered")] * 78 + [("流动", "floating")] * 17 + [("寄住", "lodging")] * 4 + [("境外", "foreign")]
RELATIONS = ["户主", "配偶", "子女", "子女", "父母", "其他"]


@dataclass
class GeneratedResidents:
    residents: int
    buildings: int
    tags: int
    seconds: float


# Mobile number ranges (号段) in use, so that generated phones are valid numbers.
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
                   "157", "158", "159", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189",
                   "198", "199")

def _birth(rng: random.Random, today: datetime.date) -> datetime.date:
    age = min(100, max(0, int(rng.gauss(40, 20))))
    return today - datetime.timedelta(days=age * 365 + rng.randint(0, 364))


def generate_residents(*, city: Area, count: int, seed: int, path=None, to_database: bool = True) -> GeneratedResidents:
    started = time.monotonic()
    rng = random.Random(seed * 7919 + 11643)
    today = datetime.date(2025, 6, 30)
    grids = list(Area.objects.filter(path__startswith=city.path, level=AreaLevel.GRID, grid_type=GridType.BASIC)
                 .order_by("path").values_list("id", "code"))
    if not grids or count <= 0:
        return GeneratedResidents(0, 0, 0, 0.0)
    per_grid, extra = divmod(count, len(grids))
    handle = open(path, "w", encoding="utf-8-sig", newline="") if path else None  # noqa: SIM115
    writer = csv.writer(handle) if handle else None
    if writer:
        writer.writerow(HEADERS)
    places, seen = PlaceCache(), set()
    batch, tags_wanted = [], []
    totals = {"residents": 0, "buildings": 0, "tags": 0}

    def flush():
        write_batch(batch, places, None)
        if tags_wanted:
            ids = dict(Resident.objects.filter(id_hash__in=[h for h, _g, _d in tags_wanted]).values_list("id_hash", "id"))
            tags = []
            for id_hash, (grid_id, groups), since in tags_wanted:
                for group in groups:
                    level = DEFAULT_CARE_LEVEL[group]
                    due = since + datetime.timedelta(days=VISIT_INTERVAL_DAYS[level] + rng.randint(-20, 10))
                    tags.append(ResidentTag(resident_id=ids[id_hash], grid_id=grid_id, group=group, care_level=level,
                                            since=since, next_visit_due=due, follow_up={}))
            ResidentTag.objects.bulk_create(tags, batch_size=2000)
            totals["tags"] += len(tags)
        batch.clear()
        tags_wanted.clear()

    sequence = 0
    for index, (grid_id, grid_code) in enumerate(grids):
        people = per_grid + (1 if index < extra else 0)
        region = grid_code[:6]
        building_no = 0
        while people > 0:
            building_no += 1
            totals["buildings"] += 1
            units, floors = rng.randint(1, 4), rng.randint(6, 18)
            for unit in range(1, units + 1):
                for floor in range(1, floors + 1):
                    for door in (1, 2):
                        if people <= 0:
                            break
                        size = min(people, rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)))
                        people -= size
                        sequence += 1
                        household = f"H{grid_code[-6:]}{sequence:07d}"
                        moved_in = today - datetime.timedelta(days=rng.randint(30, 9000))
                        for member in range(size):
                            gender = rng.choice((MALE, FEMALE))
                            while True:
                                birth = _birth(rng, today)
                                digits = rng.randrange(0, 500) * 2 + (1 if gender == MALE else 0)  # odd: male
                                first17 = f"{region}{birth:%Y%m%d}{digits:03d}"
                                if first17 not in seen:
                                    seen.add(first17)
                                    break
                            number = first17 + check_char(first17)
                            member_moved_in = max(moved_in, birth)  # a child born after the household moved in
                            phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.85 else ""
                            words, residence = rng.choice(RESIDENCE)
                            ethnicity = rng.choice(ETHNICITIES)
                            name = person_name(rng)
                            relation = "户主" if member == 0 else rng.choice(RELATIONS[1:])
                            cells = (f"{building_no}栋", f"{unit}单元", f"{floor}{door:02d}")
                            address = f"湖南省娄底市{region}号"
                            if writer:
                                writer.writerow([name, "男" if gender == MALE else "女", birth.isoformat(), number, phone, ethnicity,
                                                 words, address, grid_code, *cells, household, relation, member_moved_in.isoformat()])
                            totals["residents"] += 1
                            if not to_database:
                                continue
                            id_cipher, id_hash, id_mask = crypto.protect(number, field="id_number")
                            phone_cipher, phone_hash, phone_mask = crypto.protect(phone, field="phone")
                            batch.append([0, grid_id, *cells, household, name, gender, birth, id_cipher, id_hash, id_mask,
                                          phone_cipher, phone_hash, phone_mask, ethnicity, residence, address, relation, member_moved_in])
                            age = (today - birth).days // 365
                            groups = [g for g, share, low, high in GROUP_SHARES if low <= age <= high and rng.random() < share]
                            if groups:
                                tags_wanted.append((id_hash, (grid_id, groups), member_moved_in))
                            if len(batch) >= BATCH:
                                flush()
    if batch:
        flush()
    if handle:
        handle.close()
    return GeneratedResidents(totals["residents"], totals["buildings"], totals["tags"], time.monotonic() - started)


def residents_delete(areas) -> None:
    """Remove the residents data of these areas (used when a generated city is replaced)."""
    with transaction.atomic():
        ResidentTag.objects.filter(grid__in=areas).delete()
        Resident.objects.filter(grid__in=areas).delete()
        Household.objects.filter(grid__in=areas).delete()
        Room.objects.filter(building__grid__in=areas).delete()
        Unit.objects.filter(building__grid__in=areas).delete()
        Building.objects.filter(grid__in=areas).delete()

