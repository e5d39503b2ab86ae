"""Synthetic cities of any size for benchmarks and load tests (``generate_city``).

Reproducible: the same ``--grids`` and ``--seed`` give the same codes, names,
polygons and staff. Fast: rows are written with ``bulk_create`` with the tree paths
computed here, not node by node.

Layout: every community is a block of 4 × 3 grids, every street 3 × 3 communities and
every district 3 × 3 streets, on one jittered lattice (``grids.lattice``), so grids
never overlap and numbering runs west→east, north→south.
"""

import math
import random
import time
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from shapely.geometry import shape

from accounts.models import Department, Role, RoleAssignment, User
from accounts.services import admin_group
from governance.demo import DEPARTMENTS_DISTRICT, DEPARTMENTS_STREET, person_name
from grids import spatial
from grids.lattice import Lattice, union_geojson
from grids.models import Area, AreaLevel, ExclusiveKind, GridType
from residents.generation import generate_residents, residents_delete

GRID_COLS, GRID_ROWS = 4, 3  # grids per community block
SIDE = 3  # communities per street side, streets per district side
CELL = (0.0040, 0.0036)
MAX_DISTRICTS = 99
EXCLUSIVE_SHARE = 0.03
UNSTAFFED_SHARE = 0.02
PARTTIME_SHARE = 0.25
GRIDS_PER_POLICE = 6

DISTRICT_DEPARTMENTS = DEPARTMENTS_DISTRICT
STREET_DEPARTMENTS = [(suffix, name, kind) for suffix, name, kind, _parent in DEPARTMENTS_STREET]
PLACE_SYLLABLES = "东西南北中新华光明阳春和平安康宁兴福星湖山河桥园林塘溪丰泰永金银龙凤"


class GenerationError(Exception):
    pass


@dataclass
class GeneratedCity:
    city: Area
    districts: int
    streets: int
    communities: int
    grids: int
    departments: int
    users: int
    assignments: int
    seconds: float
    residents: int = 0


def _place_name(rng: random.Random) -> str:
    return "".join(rng.choice(PLACE_SYLLABLES) for _ in range(2))


def user_prefix(city_code: str) -> str:
    return f"g{city_code[:4]}_"


def city_delete(city_code: str) -> None:
    """Remove a generated city with its departments, staff and their grants."""
    city = Area.objects.filter(code=city_code).first()
    if city is None:
        return
    with transaction.atomic():
        subtree = Area.objects.filter(path__startswith=city.path)
        residents_delete(subtree)
        RoleAssignment.objects.filter(area__in=subtree).delete()
        departments = Department.objects.filter(area__in=subtree)
        RoleAssignment.objects.filter(department__in=departments).delete()
        group_ids = list(departments.exclude(group=None).values_list("group_id", flat=True))
        Department.objects.filter(area__in=subtree, parent__isnull=False).delete()
        departments.delete()
        Group.objects.filter(pk__in=group_ids).delete()
        User.objects.filter(username__startswith=user_prefix(city_code)).delete()
        subtree.delete()
        spatial.revision_bump()


def generate_city(*, grids: int, seed: int, city_code: str = "439900000000", city_name: str = "示范市",
                  password: str = "city12345", origin: tuple[float, float] = (112.60, 28.30),
                  residents: int = 0, residents_file=None) -> GeneratedCity:
    started = time.monotonic()
    if grids < 1:
        raise GenerationError("--grids must be at least 1")
    if len(city_code) != 12 or not city_code.isdigit() or city_code[4:] != "0" * 8 or city_code[2:4] == "00":
        raise GenerationError("the city code must be a 12-digit city-level statistical code, e.g. 439900000000")
    if Area.objects.filter(code=city_code).exists():
        raise GenerationError(f"city {city_code} exists already; pass --replace to generate it anew")
    per_community = GRID_COLS * GRID_ROWS
    communities_needed = math.ceil(grids / per_community)
    per_district = SIDE**4
    district_count = math.ceil(communities_needed / per_district)
    if district_count > MAX_DISTRICTS:
        raise GenerationError(f"at most {MAX_DISTRICTS * per_district * per_community} grids fit in one city's codes")

    rng = random.Random(seed)
    side = math.ceil(math.sqrt(district_count))
    rows_of_districts = math.ceil(district_count / side)
    lattice = Lattice(
        cols=side * SIDE * SIDE * GRID_COLS, rows=rows_of_districts * SIDE * SIDE * GRID_ROWS,
        west=origin[0], north=origin[1], cell_lon=CELL[0], cell_lat=CELL[1], rng=rng,
    )
    last_root = Area.objects.get_last_root_node()
    city_path = last_root._inc_path() if last_root else Area._get_path(None, 1, 1)
    step = Area._get_path

    areas: list[Area] = []
    grid_rows: list[Area] = []
    community_rows: list[Area] = []
    city = Area(code=city_code, name=city_name, level=AreaLevel.CITY, path=city_path, depth=1, numchild=0)
    areas.append(city)
    city_polygons = []
    remaining = grids
    street_rows: list[Area] = []
    district_rows: list[Area] = []
    for d in range(district_count):
        if remaining <= 0:
            break
        dx, dy = d % side, d // side
        district_code = f"{city_code[:4]}{d + 1:02d}000000"
        district = Area(code=district_code, name=f"{_place_name(rng)}区", level=AreaLevel.DISTRICT,
                        path=step(city_path, 2, d + 1), depth=2, numchild=0)
        areas.append(district)
        district_rows.append(district)
        city.numchild += 1
        district_polygons = []
        for s in range(SIDE * SIDE):
            if remaining <= 0:
                break
            sx, sy = s % SIDE, s // SIDE
            street_code = f"{district_code[:6]}{s + 1:03d}000"
            street = Area(code=street_code, name=f"{_place_name(rng)}街道", level=AreaLevel.STREET,
                          path=step(district.path, 3, s + 1), depth=3, numchild=0)
            areas.append(street)
            street_rows.append(street)
            district.numchild += 1
            street_polygons = []
            for c in range(SIDE * SIDE):
                if remaining <= 0:
                    break
                cx, cy = c % SIDE, c // SIDE
                community_code = f"{street_code[:9]}{c + 1:03d}"
                community = Area(code=community_code, name=f"{_place_name(rng)}社区", level=AreaLevel.COMMUNITY,
                                 path=step(street.path, 4, c + 1), depth=4, numchild=0)
                areas.append(community)
                community_rows.append(community)
                street.numchild += 1
                col0 = ((dx * SIDE + sx) * SIDE + cx) * GRID_COLS
                row0 = ((dy * SIDE + sy) * SIDE + cy) * GRID_ROWS
                polygons = []
                sequence = 0
                for row in range(GRID_ROWS):
                    for col in range(GRID_COLS):
                        if remaining <= 0:
                            break
                        sequence += 1
                        remaining -= 1
                        polygon = lattice.cell_polygon(col0 + col, row0 + row)
                        polygons.append(polygon)
                        minx, miny, maxx, maxy = polygon.bounds
                        label = polygon.representative_point()
                        exclusive = rng.random() < EXCLUSIVE_SHARE
                        households = rng.randint(0, 50) if exclusive else rng.randint(220, 560)
                        grid = Area(
                            code=f"{community_code}{sequence:03d}",
                            name=f"{community.name}第{sequence}网格",
                            level=AreaLevel.GRID,
                            path=step(community.path, 5, sequence), depth=5, numchild=0,
                            grid_type=GridType.EXCLUSIVE if exclusive else GridType.BASIC,
                            exclusive_kind=rng.choice([k for k in ExclusiveKind.values if k != "other"]) if exclusive else "",
                            households=households,
                            population=int(households * rng.uniform(2.4, 3.0)) if not exclusive else rng.randint(200, 3000),
                            boundary=lattice.cell_geojson(col0 + col, row0 + row),
                            min_lon=minx, min_lat=miny, max_lon=maxx, max_lat=maxy,
                            label_lon=label.x, label_lat=label.y,
                        )
                        areas.append(grid)
                        grid_rows.append(grid)
                        community.numchild += 1
                _set_boundary(community, polygons)
                street_polygons.append(community._shape)
            _set_boundary(street, street_polygons)
            district_polygons.append(street._shape)
        _set_boundary(district, district_polygons)
        city_polygons.append(district._shape)
    _set_boundary(city, city_polygons)

    with transaction.atomic():
        Area.objects.bulk_create(areas, batch_size=2000)
        ids = dict(Area.objects.filter(path__startswith=city_path).values_list("code", "id"))
        departments = _departments(district_rows, street_rows, ids)
        users, assignments = _staff(rng, city_code, password, district_rows, street_rows, community_rows, grid_rows, ids, departments)
        spatial.revision_bump()
    city = Area.objects.get(code=city_code)
    people = generate_residents(city=city, count=residents, seed=seed, path=residents_file) if residents else None
    return GeneratedCity(
        city=city,
        districts=len(district_rows), streets=len(street_rows), communities=len(community_rows), grids=len(grid_rows),
        departments=len(departments), users=users, assignments=assignments, seconds=time.monotonic() - started,
        residents=people.residents if people else 0,
    )


def _set_boundary(area: Area, polygons) -> None:
    geometry = union_geojson(polygons)
    area._shape = shape(geometry)
    area.boundary = geometry
    area.min_lon, area.min_lat, area.max_lon, area.max_lat = area._shape.bounds
    label = area._shape.representative_point()
    area.label_lon, area.label_lat = label.x, label.y


def _departments(district_rows, street_rows, ids) -> dict[str, Department]:
    rows = []
    for district in district_rows:
        for suffix, name, kind in DISTRICT_DEPARTMENTS:
            rows.append(Department(code=f"{district.code}-{suffix}", name=f"{district.name}{name}", kind=kind, area_id=ids[district.code]))
    for street in street_rows:
        for suffix, name, kind in STREET_DEPARTMENTS:
            rows.append(Department(code=f"{street.code}-{suffix}", name=f"{street.name}{name}", kind=kind, area_id=ids[street.code]))
    groups = Group.objects.bulk_create([Group(name=f"department:{row.code}") for row in rows], batch_size=2000)
    for row, group in zip(rows, groups, strict=True):
        row.group_id = group.pk
    created = Department.objects.bulk_create(rows, batch_size=2000)
    return {department.code: department for department in created}


def _staff(rng, city_code, password, district_rows, street_rows, community_rows, grid_rows, ids, departments):
    prefix = user_prefix(city_code)
    hashed = make_password(password)
    users: list[User] = []
    plan: list[tuple[int, str, str | None, str | None, str]] = []  # user index, role, area code, department code, title

    def person(username: str) -> int:
        users.append(User(username=f"{prefix}{username}", full_name=person_name(rng), password=hashed,
                          phone=f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}"))
        return len(users) - 1

    for district in district_rows:
        plan.append((person(f"adm{district.code[:6]}"), Role.ADMIN, district.code, None, ""))
        plan.append((person(f"lead{district.code[:6]}"), Role.LEADER, district.code, None, "区委政法委"))
        plan.append((person(f"disp{district.code[:6]}"), Role.DISPATCHER, district.code, None, ""))
        for suffix, _name, _kind in DISTRICT_DEPARTMENTS:
            code = f"{district.code}-{suffix}"
            plan.append((person(f"h{district.code[:6]}{suffix.lower()}"), Role.DEPT_HANDLER, None, code, ""))
    for street in street_rows:
        plan.append((person(f"disp{street.code[:9]}"), Role.DISPATCHER, street.code, None, ""))
        for suffix, _name, _kind in STREET_DEPARTMENTS:
            code = f"{street.code}-{suffix}"
            plan.append((person(f"h{street.code[:9]}{suffix.lower()}"), Role.DEPT_HANDLER, None, code, ""))
    grids_by_community: dict[str, list[Area]] = {}
    for grid in grid_rows:
        grids_by_community.setdefault(grid.code[:12], []).append(grid)
    for community in community_rows:
        plan.append((person(f"l{community.code}"), Role.GRID_LEADER, community.code, None, "网格长"))
        doctor = person(f"doc{community.code}")
        for grid in grids_by_community.get(community.code, []):
            plan.append((doctor, Role.DOCTOR, grid.code, None, "社区卫生服务中心"))
    police = None
    for index, grid in enumerate(grid_rows):
        if rng.random() >= UNSTAFFED_SHARE:
            plan.append((person(f"w{grid.code}"), Role.GRID_WORKER, grid.code, None, ""))
        if rng.random() < PARTTIME_SHARE:
            plan.append((person(f"p{grid.code}"), Role.PARTTIME_WORKER, grid.code, None, rng.choice(["楼栋长", "单元长", "志愿者", "物业"])))
        if index % GRIDS_PER_POLICE == 0:
            police = person(f"police{grid.code}")
        plan.append((police, Role.POLICE, grid.code, None, "派出所民警"))
    created = User.objects.bulk_create(users, batch_size=2000)
    assignments = [
        RoleAssignment(
            user_id=created[user_index].pk, role=role,
            area_id=ids[area_code] if area_code else None,
            department_id=departments[dept_code].pk if dept_code else None,
            title=title,
        )
        for user_index, role, area_code, dept_code, title in plan
    ]
    RoleAssignment.objects.bulk_create(assignments, batch_size=5000)
    memberships = [
        User.groups.through(user_id=created[user_index].pk, group_id=departments[dept_code].group_id)
        for user_index, _role, _area, dept_code, _title in plan
        if dept_code
    ]
    User.groups.through.objects.bulk_create(memberships, batch_size=5000)
    admin_users = [created[i].pk for i, role, *_ in plan if role == Role.ADMIN]
    User.objects.filter(pk__in=admin_users).update(is_staff=True)
    if admin_users:
        group = admin_group()
        User.groups.through.objects.bulk_create([User.groups.through(user_id=pk, group_id=group.pk) for pk in admin_users])
    return len(created), len(assignments)
