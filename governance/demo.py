"""The demo city: Loudi (娄底市), 2 districts, 4 streets/towns, 10 communities/villages,
60 grids (5 of them exclusive, one split into two second-level grids), departments at
district and street level, and a login for every role (README lists them).

Loading is idempotent: the areas go through the GeoJSON import (which leaves unchanged
features alone), departments and users are created once, and granting an active role
again is a no-op.
"""

import random
import zlib

from django.db import transaction

from accounts.models import Department, DepartmentKind, Role, User
from accounts.services import department_create, role_grant, user_create
from grids.imports import grids_import
from grids.lattice import Lattice, union_geojson
from grids.models import Area

DEMO_PASSWORD = "demo12345"

CITY = ("431300000000", "娄底市")
# district code, name, [(street code, name, [(community code, name), ...]), ...]
DISTRICTS = [
    ("431302000000", "娄星区", (111.965, 27.760), [
        ("431302001000", "乐坪街道", [("431302001001", "月塘社区"), ("431302001002", "西阳社区"), ("431302001003", "金星社区")]),
        ("431302002000", "花山街道", [("431302002001", "花山社区"), ("431302002002", "春园社区"), ("431302002003", "曙光社区")]),
        ("431302005000", "大科街道", [("431302005001", "大科社区"), ("431302005002", "涟滨社区")]),
    ]),
    ("431321000000", "双峰县", (112.180, 27.470), [
        ("431321100000", "永丰镇", [("431321100001", "城东社区"), ("431321100201", "青树村")]),
    ]),
]
# Exclusive grids: grid code → (name, kind).
EXCLUSIVE = {
    "43130200100106": ("娄底一中专属网格", "school"),
    "43130200100205": ("乐坪农贸市场专属网格", "market"),
    "43130200200303": ("娄底市中心医院专属网格", "hospital"),
    "43130200500204": ("珠山公园专属网格", "park"),
    "43130200500106": ("经开区工业园专属网格", "industrial_park"),
}
# English names, shown when the interface is in English (grids.names).
NAMES_EN = {
    "431300000000": "Loudi City", "431302000000": "Louxing District", "431321000000": "Shuangfeng County",
    "431302001000": "Leping Subdistrict", "431302002000": "Huashan Subdistrict", "431302005000": "Dake Subdistrict",
    "431321100000": "Yongfeng Town",
    "431302001001": "Yuetang Community", "431302001002": "Xiyang Community", "431302001003": "Jinxing Community",
    "431302002001": "Huashan Community", "431302002002": "Chunyuan Community", "431302002003": "Shuguang Community",
    "431302005001": "Dake Community", "431302005002": "Lianbin Community",
    "431321100001": "Chengdong Community", "431321100201": "Qingshu Village",
    "43130200100106": "Loudi No. 1 High School (exclusive grid)",
    "43130200100205": "Leping Farmers' Market (exclusive grid)",
    "43130200200303": "Loudi Central Hospital (exclusive grid)",
    "43130200500204": "Zhushan Park (exclusive grid)",
    "43130200500106": "Economic Development Zone Industrial Park (exclusive grid)",
}
# This grid is split into two second-level grids (二级网格).
SPLIT_GRID = "43130200100101"
GRIDS_PER_COMMUNITY = (3, 2)  # columns × rows of cells
CELL = (0.0042, 0.0036)  # about 410 m × 400 m at 27.7°N

DEPARTMENTS_DISTRICT = [
    ("CGJ", "城管局", DepartmentKind.URBAN_MANAGEMENT),
    ("SCJG", "市场监管局", DepartmentKind.MARKET_REGULATION),
    ("YJJ", "应急管理局", DepartmentKind.EMERGENCY),
    ("GAJ", "公安分局", DepartmentKind.PUBLIC_SECURITY),
    ("MZJ", "民政局", DepartmentKind.CIVIL_AFFAIRS),
    ("ZJJ", "住房和城乡建设局", DepartmentKind.HOUSING),
    ("STHJ", "生态环境分局", DepartmentKind.ENVIRONMENT),
]
DEPARTMENTS_STREET = [
    ("CGZD", "城管中队", DepartmentKind.URBAN_MANAGEMENT, "CGJ"),
    ("ZHZF", "综合行政执法队", DepartmentKind.LAW_ENFORCEMENT, None),
    ("PCS", "派出所", DepartmentKind.PUBLIC_SECURITY, "GAJ"),
]
DEPARTMENTS_EN = {
    "CGJ": "Urban Management Bureau", "SCJG": "Market Regulation Bureau", "YJJ": "Emergency Management Bureau",
    "GAJ": "Public Security Sub-bureau", "MZJ": "Civil Affairs Bureau", "ZJJ": "Housing and Urban-Rural Development Bureau",
    "STHJ": "Ecology and Environment Sub-bureau", "CGZD": "Urban Management Squad", "ZHZF": "Law Enforcement Team",
    "PCS": "Police Station",
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强海燕小红文博子涵浩然思远雨轩欣怡梓萱"


def person_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def demo_feature_collection() -> dict:
    rng = random.Random(4313)
    features = []

    def add(code, name, level, geometry, name_en="", **props):
        properties = {"code": code, "name": name, "name_en": NAMES_EN.get(code, name_en), "level": level, **props}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})

    city_cells = []
    for district_code, district_name, (west, north), streets in DISTRICTS:
        communities = [(s, c) for s in streets for c in s[2]]
        block_cols = 4 if len(communities) > 4 else len(communities)
        block_rows = -(-len(communities) // block_cols)
        cols_per, rows_per = GRIDS_PER_COMMUNITY
        lattice = Lattice(cols=block_cols * cols_per, rows=block_rows * rows_per, west=west, north=north,
                          cell_lon=CELL[0], cell_lat=CELL[1], rng=rng)
        district_cells = []
        street_cells = {}
        for index, ((street_code, street_name, _), (community_code, community_name)) in enumerate(communities):
            bx, by = index % block_cols, index // block_cols
            cells = []
            sequence = 0
            for row in range(rows_per):
                for col in range(cols_per):
                    sequence += 1
                    c, r = bx * cols_per + col, by * rows_per + row
                    cells.append(lattice.cell_polygon(c, r))
                    code = f"{community_code}{sequence:02d}"
                    households = rng.randint(280, 540)
                    props = {"grid_type": "basic", "households": households, "population": int(households * rng.uniform(2.5, 2.95))}
                    name = f"{community_name}第{sequence}网格"
                    if code in EXCLUSIVE:
                        name, kind = EXCLUSIVE[code]
                        props = {"grid_type": "exclusive", "exclusive_kind": kind, "households": rng.randint(0, 40),
                                 "population": rng.randint(300, 3000)}
                    name_en = NAMES_EN.get(code) or f"{NAMES_EN[community_code]} Grid {sequence}"
                    add(code, name, "grid", lattice.cell_geojson(c, r), name_en=name_en, **props)
                    if code == SPLIT_GRID:
                        for half, geometry in enumerate(lattice.split_cell(c, r), start=1):
                            add(f"{code}{half:02d}", f"{name}{half}号二级网格", "subgrid", geometry, parent_code=code,
                                name_en=f"{name_en}, second-level grid {half}",
                                grid_type="basic", households=props["households"] // 2,
                                population=props["population"] // 2)
            add(community_code, community_name, "community", union_geojson(cells))
            street_cells.setdefault((street_code, street_name), []).extend(cells)
            district_cells.extend(cells)
        for (street_code, street_name), cells in street_cells.items():
            add(street_code, street_name, "street", union_geojson(cells))
        add(district_code, district_name, "district", union_geojson(district_cells))
        city_cells.extend(district_cells)
    add(CITY[0], CITY[1], "city", union_geojson(city_cells))
    return {"type": "FeatureCollection", "features": features}


def _user(username: str, full_name: str, *, superuser: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    if superuser:
        return User.objects.create_superuser(username=username, password=DEMO_PASSWORD, full_name=full_name)
    return user_create(actor=None, username=username, password=DEMO_PASSWORD, full_name=full_name,
                       phone=f"0738-8{zlib.crc32(username.encode()) % 1000000:06d}")


def _department(code: str, name: str, kind: str, area: Area, parent: Department | None = None, name_en: str = "") -> Department:
    department = Department.objects.filter(code=code).first()
    if department is not None:
        if name_en and not department.name_en:  # a demo city loaded before English names existed
            department.name_en = name_en
            department.save(update_fields=["name_en"])
        return department
    return department_create(actor=None, code=code, name=name, name_en=name_en, kind=kind, area=area, parent=parent)


# The logins README documents: username → (name, role, target code, title).
NAMED_LOGINS = [
    ("city_admin", "刘建国", Role.ADMIN, "431300000000", ""),
    ("leping_admin", "陈静", Role.ADMIN, "431302001000", ""),
    ("city_leader", "王志强", Role.LEADER, "431300000000", "市委政法委"),
    ("louxing_dispatcher", "周敏", Role.DISPATCHER, "431302000000", ""),
    ("leping_dispatcher", "黄丽", Role.DISPATCHER, "431302001000", ""),
    ("yongfeng_dispatcher", "邓勇", Role.DISPATCHER, "431321100000", ""),
    ("yuetang_leader", "李秀英", Role.GRID_LEADER, "431302001001", "社区党委书记"),
    ("yuetang_worker", "张伟", Role.GRID_WORKER, "43130200100102", ""),
    ("yuetang_parttime", "赵桂兰", Role.PARTTIME_WORKER, "43130200100102", "楼栋长"),
    ("yuetang_police", "孙海", Role.POLICE, "43130200100102", "乐坪派出所"),
    ("yuetang_doctor", "吴芳", Role.DOCTOR, "43130200100102", "乐坪社区卫生服务中心"),
    ("yuetang_legal", "郑文博", Role.LEGAL, "43130200100102", "律师"),
    ("yuetang_liaison", "马军", Role.LIAISON, "43130200100102", "区直机关下沉干部"),
]
NAMED_DEPARTMENT_LOGINS = [
    ("louxing_cgj", "胡涛", Role.DEPT_HANDLER, "431302000000-CGJ"),
    ("louxing_cgj_admin", "何娜", Role.DEPT_ADMIN, "431302000000-CGJ"),
    ("leping_cgzd", "高磊", Role.DEPT_HANDLER, "431302001000-CGZD"),
    ("louxing_scjg", "林洋", Role.DEPT_HANDLER, "431302000000-SCJG"),
]


@transaction.atomic
def load_demo_city() -> dict:
    report = grids_import(actor=None, raw=demo_feature_collection())
    if report.errors:
        raise RuntimeError("demo city features failed: " + "; ".join(str(e) for e in report.errors))
    areas = {area.code: area for area in Area.objects.filter(code__startswith="4313")}

    for district_code, _name, _origin, streets in DISTRICTS:
        district = areas[district_code]
        by_code = {}
        for suffix, name, kind in DEPARTMENTS_DISTRICT:
            by_code[suffix] = _department(f"{district_code}-{suffix}", f"{district.name}{name}", kind, district,
                                          name_en=f"{district.name_en} {DEPARTMENTS_EN[suffix]}".strip())
        for street_code, street_name, _ in streets:
            for suffix, name, kind, parent in DEPARTMENTS_STREET:
                _department(f"{street_code}-{suffix}", f"{street_name}{name}", kind, areas[street_code],
                            by_code.get(parent) if parent else None,
                            name_en=f"{areas[street_code].name_en} {DEPARTMENTS_EN[suffix]}".strip())

    _user("admin", "系统管理员", superuser=True)
    for username, full_name, role, code, title in NAMED_LOGINS:
        role_grant(actor=None, user=_user(username, full_name), role=role, area=areas[code], title=title)
    for username, full_name, role, department_code in NAMED_DEPARTMENT_LOGINS:
        role_grant(actor=None, user=_user(username, full_name), role=role,
                   department=Department.objects.get(code=department_code))

    # Every other grid gets a full-time worker and every community a grid leader, but
    # two grids are left without a worker so the team page shows incomplete teams.
    rng = random.Random(43130)
    grids = sorted((a for a in areas.values() if a.level == "grid"), key=lambda a: a.code)
    unstaffed = {"43130200200206", "43132110020106"}
    subgrids = sorted((a for a in areas.values() if a.level == "subgrid"), key=lambda a: a.code)
    for grid in grids + subgrids:
        if grid.code in unstaffed or grid.code == "43130200100102":
            continue
        role_grant(actor=None, user=_user(f"wg{grid.code}", person_name(rng)), role=Role.GRID_WORKER, area=grid)
    for community in sorted((a for a in areas.values() if a.level == "community"), key=lambda a: a.code):
        if community.code == "431302001001":
            continue
        role_grant(actor=None, user=_user(f"wz{community.code}", person_name(rng)), role=Role.GRID_LEADER,
                   area=community, title="网格长")
    return {
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "grids": len(grids),
    }
