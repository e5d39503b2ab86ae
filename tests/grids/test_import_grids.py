"""import_grids: good and bad features, idempotent re-runs, scoped imports."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import AuditEntry, Role
from grids import spatial
from grids.models import Area, BoundaryRevision
from tests.conftest import square


def feature(code, name, geometry=None, **props):
    return {"type": "Feature", "properties": {"code": code, "name": name, **props}, "geometry": geometry}


def write(tmp_path, features, name="grids.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(path, *args):
    """Run the command; return (stdout, stderr, CommandError or None)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_grids", path, *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue(), None
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error


GOOD = [
    # Children before parents on purpose: the import orders by level itself.
    feature("43130200100101", "月塘第1网格", square(112.00, 27.70), households=300, population=850),
    feature("43130200100102", "娄底一中专属网格", square(112.01, 27.70), grid_type="专属网格", exclusive_kind="学校"),
    feature("431302001001", "月塘社区"),
    feature("431302001000", "乐坪街道", level="街道"),
    feature("431302000000", "娄星区"),
    feature("431300000000", "娄底市", level="city"),
    feature("4313020010010101", "二级网格", square(112.00, 27.70, 0.005), level="二级网格", parent_code="43130200100101"),
]


def test_good_file_creates_the_tree_with_parents(db, tmp_path):
    out, err, error = run(write(tmp_path, GOOD))

    assert error is None, err
    assert "7 created, 0 updated, 0 unchanged, 0 failed" in out
    grid = Area.objects.get(code="43130200100101")
    assert [a.code for a in Area.objects.get_ancestors(grid)] == ["431300000000", "431302000000", "431302001000", "431302001001"]
    school = Area.objects.get(code="43130200100102")
    assert (school.grid_type, school.exclusive_kind) == ("exclusive", "school")
    assert Area.objects.get(code="4313020010010101").level == "subgrid"
    assert grid.households == 300 and grid.population == 850
    assert spatial.grid_id_at(lat=27.708, lon=112.008) == grid.pk


def test_running_the_same_file_again_changes_nothing(db, tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    before = list(Area.objects.order_by("code").values_list("code", "path", "updated_at", "boundary"))
    revision = BoundaryRevision.objects.get().token
    audits = AuditEntry.objects.count()

    out, err, error = run(path)

    assert error is None, err
    assert "0 created, 0 updated, 7 unchanged, 0 failed" in out
    assert list(Area.objects.order_by("code").values_list("code", "path", "updated_at", "boundary")) == before
    assert BoundaryRevision.objects.get().token == revision
    assert AuditEntry.objects.count() == audits


def test_changed_features_are_updated(db, tmp_path):
    run(write(tmp_path, GOOD))
    changed = [dict(f, properties=dict(f["properties"])) for f in GOOD]
    changed[0]["properties"]["name"] = "月塘一网格"
    changed[0]["geometry"] = square(112.00, 27.69)

    out, _err, error = run(write(tmp_path, changed, "changed.geojson"))

    assert error is None
    assert "0 created, 1 updated, 6 unchanged" in out
    assert Area.objects.get(code="43130200100101").name == "月塘一网格"
    assert spatial.grid_id_at(lat=27.695, lon=112.005) == Area.objects.get(code="43130200100101").pk


BOWTIE = {"type": "Polygon", "coordinates": [[[112.0, 27.7], [112.01, 27.71], [112.01, 27.7], [112.0, 27.71], [112.0, 27.7]]]}


def test_bad_features_are_reported_one_by_one_and_good_ones_still_import(db, tmp_path):
    features = GOOD[2:6] + [
        feature("43130200100101", "好网格", square(112.00, 27.70)),  # 5: good
        feature("43130200100103", "自相交网格", BOWTIE),  # 6: invalid geometry
        feature("43130200900101", "无父网格", square(112.05, 27.70)),  # 7: unknown parent
        feature("43130200100104", "重复甲", square(112.02, 27.70)),  # 8: duplicate
        feature("43130200100104", "重复乙", square(112.03, 27.70)),  # 9: duplicate
        feature("43130200100105", "无边界网格", None, level="grid"),  # 10: no geometry
        feature("43130200100106", "", square(112.04, 27.70)),  # 11: no name
        feature("43130200100107", "坐标颠倒", square(27.70, 112.0)),  # 12: lat/lon swapped
        {"type": "Feature", "properties": {"name": "无代码"}, "geometry": None},  # 13: no code
    ]

    out, err, error = run(write(tmp_path, features))

    assert error is not None and "8 features were not imported" in str(error)
    assert "5 created, 0 updated, 0 unchanged, 8 failed" in out
    assert "feature #6 (43130200100103): The boundary is not a valid polygon: Self-intersection" in err
    assert "feature #7 (43130200900101): unknown parent code 431302009001" in err
    assert "feature #8 (43130200100104): code 43130200100104 appears in several features (#8、#9)" in err
    assert "feature #9 (43130200100104)" in err
    assert "feature #10 (43130200100105): a grid needs a Polygon or MultiPolygon geometry" in err
    assert "feature #11 (43130200100106): the property name is missing" in err
    assert "feature #12 (43130200100107): Position [27.7, 112.0] is outside WGS84" in err
    assert "feature #13: the property code is missing" in err
    assert set(Area.objects.values_list("code", flat=True)) == {
        "431300000000", "431302000000", "431302001000", "431302001001", "43130200100101",
    }


def test_a_child_of_a_failed_parent_says_so(db, tmp_path):
    features = [
        feature("431300000000", "娄底市"),
        feature("431302000000", "娄星区"),
        feature("431302001000", "乐坪街道"),
        feature("431302001001", "月塘社区", {"type": "Point", "coordinates": [112.0, 27.7]}),
        feature("43130200100101", "网格", square(112.0, 27.7)),
    ]

    _out, err, error = run(write(tmp_path, features))

    assert error is not None
    assert "feature #4 (431302001001): The boundary must be a Polygon or MultiPolygon, not Point" in err
    assert "feature #5 (43130200100101): its parent 431302001001 was not imported (see its error)" in err


def test_overlapping_grids_get_a_warning(db, tmp_path):
    features = GOOD[2:6] + [
        feature("43130200100101", "甲", square(112.00, 27.70)),
        feature("43130200100102", "乙", square(112.005, 27.70)),
    ]

    _out, err, error = run(write(tmp_path, features))

    assert error is None
    assert "overlaps grid 甲 (43130200100101) by 50.0%" in err


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b'{"type": "Feature"}', "must be a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": []}', "has no features"),
        ("\ufeff{}".encode("utf-16"), "UTF-16 text"),
        ("\ufeff{}".encode("utf-16-be"), "UTF-16 text"),
        (b"\xff\x00{}", "not UTF-8"),
    ],
)
def test_a_file_that_is_no_feature_collection_gets_one_clear_error(db, tmp_path, content, message):
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)

    _out, _err, error = run(str(path))

    assert error is not None and message in str(error)
    assert not Area.objects.exists()


def test_missing_file_is_a_clear_error(db, tmp_path):
    _out, _err, error = run(str(tmp_path / "nope.geojson"))

    assert "No such file" in str(error)


def test_import_as_a_street_admin_stays_inside_their_street(tree, street_admin, tmp_path):
    features = [
        feature("43130200100103", "乐坪新网格", square(112.00, 27.72)),  # inside 乐坪街道
        feature("43130200200102", "花山新网格", square(112.02, 27.72)),  # in 花山街道
    ]

    out, err, error = run(write(tmp_path, features), "--user", street_admin.username)

    assert error is not None
    assert "1 created" in out
    assert "feature #2 (43130200200102): You may only configure areas inside your own subtree." in err
    assert not Area.objects.filter(code="43130200200102").exists()


def test_errors_are_in_chinese_when_the_language_is_chinese(db, tmp_path):
    features = GOOD[2:6] + [feature("43130200100103", "自相交网格", BOWTIE)]

    with translation.override("zh-hans"):
        _out, err, error = run(write(tmp_path, features))

    assert "错误，要素 #5 (43130200100103): 边界不是有效的多边形：Self-intersection" in err
    assert "未能导入" in str(error)


def test_user_option_needs_an_existing_user(db, tmp_path):
    _out, _err, error = run(write(tmp_path, GOOD), "--user", "ghost")

    assert "No active user ghost" in str(error)


def test_grid_roles_survive_a_reimport(tree, make_user, tmp_path):
    worker = make_user(Role.GRID_WORKER, area=tree["G11"])
    features = [feature("43130200100101", "月塘第1网格", square(112.00, 27.70), households=320, population=900)]

    run(write(tmp_path, features))

    assert worker.role_assignments.get().area_id == tree["G11"].pk


def test_a_gbk_file_and_a_file_with_gbk_lines_import_with_their_names(db, tmp_path):
    """GIS tools on a Chinese Windows write GBK; pasted-together files mix encodings.
    Each line is read in its own encoding; full-width digits in codes are folded."""
    city = '{"type": "Feature", "properties": {"code": "431300000000", "name": "娄底市"}, "geometry": null}'
    district = '{"type": "Feature", "properties": {"code": "４３１３０２００００００", "name": "娄星区"}, "geometry": null}'
    path = tmp_path / "mixed.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": [\n' + city.encode("utf-8") + b",\n"
                     + district.encode("gbk") + b"\n]}\n")

    _out, err, error = run(str(path))

    assert error is None, err
    assert set(Area.objects.values_list("code", "name")) == {("431300000000", "娄底市"), ("431302000000", "娄星区")}
