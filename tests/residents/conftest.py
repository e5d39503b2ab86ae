import csv

import pytest
from openpyxl import Workbook

from accounts.models import Role
from residents.imports import HEADERS


@pytest.fixture
def staff(tree, make_user):
    """Staff around grid G12 (月塘第2网格), plus a worker of G21 in another street."""
    return {
        "worker": make_user(Role.GRID_WORKER, area=tree["G12"], username="yuetang_worker", full_name="张伟", phone="13800000001"),
        "police": make_user(Role.POLICE, area=tree["G12"], username="yuetang_police", full_name="孙海", phone="13800000002"),
        "doctor": make_user(Role.DOCTOR, area=tree["G12"], username="yuetang_doctor", full_name="吴芳"),
        "parttime": make_user(Role.PARTTIME_WORKER, area=tree["G12"], username="yuetang_parttime"),
        "leader": make_user(Role.LEADER, area=tree["S1"], username="leping_leader"),
        "admin": make_user(Role.ADMIN, area=tree["S1"], username="leping_admin"),
        "other_worker": make_user(Role.GRID_WORKER, area=tree["G21"], username="huashan_worker"),
    }


def row(**values) -> list[str]:
    """A data row in template order; unnamed columns empty."""
    keys = {"姓名": "name", "性别": "gender", "出生日期": "birth_date", "公民身份号码": "id_number", "联系电话": "phone",
            "民族": "ethnicity", "人员类型": "residence_type", "户籍地址": "address", "网格编码": "grid", "楼栋": "building",
            "单元": "unit", "房号": "room", "户号": "household", "与户主关系": "relation", "入住日期": "moved_in_on"}
    return [values.get(keys[header], "") for header in HEADERS]


@pytest.fixture
def write_csv(tmp_path):
    def write(rows, *, headers=HEADERS, name="residents.csv", encoding="utf-8-sig"):
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path):
    def write(rows, *, headers=HEADERS, name="residents.xlsx"):
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(headers)
        for values in rows:
            sheet.append(values)
        path = tmp_path / name
        workbook.save(path)
        return path

    return write
