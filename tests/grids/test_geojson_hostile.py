"""Hostile GeoJSON: a bad feature is reported on its own and never stops the others,
a bad file is one clear error, and no upload in the admin answers 500."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grids.models import Area
from tests.conftest import square
from tests.grids.test_import_grids import feature, run, write

PARENTS = [
    feature("431300000000", "娄底市"),
    feature("431302000000", "娄星区"),
    feature("431302001000", "乐坪街道", level="街道"),
    feature("431302001001", "月塘社区"),
]
PARENT_CODES = {"431300000000", "431302000000", "431302001000", "431302001001"}
GOOD_GRID = feature("43130200100109", "好网格", square(112.05, 27.70))
DEEP = "[" * 50_000 + "]" * 50_000


def collection(features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def write_text(tmp_path, text: str) -> str:
    path = tmp_path / "hostile.geojson"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return str(path)


def codes() -> set[str]:
    return set(Area.objects.values_list("code", flat=True))


# --- The import: one bad feature, the others still import ----------------------------


@pytest.mark.parametrize("properties", ["坏", [1, 2], 5, True])
def test_properties_that_are_no_object_fail_only_their_feature(db, tmp_path, properties):
    bad = {"type": "Feature", "properties": properties, "geometry": None}

    out, err, error = run(write(tmp_path, [*PARENTS, bad, GOOD_GRID]))

    assert error is not None
    assert "5 created, 0 updated, 0 unchanged, 1 failed" in out
    assert "feature #5: properties must be an object." in err
    assert codes() == PARENT_CODES | {"43130200100109"}


@pytest.mark.parametrize(
    "coordinates, message",
    [
        ([[{"x": 1}]], "A position must be two numbers [longitude, latitude]."),
        ([{"x": 1}], "A Polygon's coordinates must be a list of rings, each a list of [longitude, latitude] positions."),
        (json.loads("[" * 900 + "112.0, 27.7" + "]" * 900),
         "A Polygon's coordinates must be a list of rings, each a list of [longitude, latitude] positions."),
    ],
    ids=["object-as-position", "object-as-ring", "nested-900-deep"],
)
def test_coordinates_nested_wrongly_fail_only_their_feature(db, tmp_path, coordinates, message):
    bad = feature("43130200100101", "坏网格", {"type": "Polygon", "coordinates": coordinates})

    out, err, error = run(write(tmp_path, [*PARENTS, bad, GOOD_GRID]))

    assert error is not None
    assert "5 created, 0 updated, 0 unchanged, 1 failed" in out
    assert f"feature #5 (43130200100101): {message}" in err


def test_a_multipolygon_must_be_one_level_deeper_than_a_polygon(db, tmp_path):
    bad = feature("43130200100101", "坏网格", {"type": "MultiPolygon", "coordinates": square(112.0, 27.7)["coordinates"]})

    _out, err, _error = run(write(tmp_path, [*PARENTS, bad]))

    assert "feature #5 (43130200100101): A MultiPolygon's coordinates must be a list of polygons" in err


@pytest.mark.parametrize(
    "props, message",
    [
        ({"name": "坏\\ud800名"}, "the property name contains a broken character (an unpaired surrogate"),
        ({"name": "娄底\\u0000市"}, "the property name contains a NUL character"),
        ({"name": "好", "name_en": "Lou\\u0000di"}, "the property name_en contains a NUL character"),
        ({"name": "好", "grid_type": "\\udc80"}, "the property grid_type contains a broken character"),
        ({"name": ["a", "b"]}, "the property name must be text or a number."),
    ],
    ids=["surrogate-in-name", "nul-in-name", "nul-in-name_en", "surrogate-in-grid_type", "list-as-name"],
)
def test_text_that_cannot_be_stored_fails_its_feature_before_anything_is_written(db, tmp_path, props, message):
    bad = {"type": "Feature", "properties": {"code": "43130200100101", **props}, "geometry": square(112.0, 27.7)}
    # JSON escapes as the file holds them (json.dumps would refuse the lone surrogate).
    text = collection([*PARENTS, {"type": "Feature", "properties": {}, "geometry": None}, GOOD_GRID])
    text = text.replace('{"type": "Feature", "properties": {}, "geometry": null}', json.dumps(bad, ensure_ascii=False).replace("\\\\", "\\"))

    out, err, error = run(write_text(tmp_path, text))

    assert error is not None
    assert "5 created, 0 updated, 0 unchanged, 1 failed" in out
    assert f"feature #5 (43130200100101): {message}" in err
    assert "43130200100101" not in codes()


def test_a_code_with_a_broken_character_fails_its_feature(db, tmp_path):
    text = collection([*PARENTS, feature("X", "坏", square(112.0, 27.7)), GOOD_GRID]).replace('"X"', '"4313\\ud800"')

    out, err, _error = run(write_text(tmp_path, text))

    assert "5 created" in out
    assert "feature #5: the property code contains a broken character" in err


def test_a_file_nested_too_deeply_is_one_clear_error(db, tmp_path):
    text = '{"type": "FeatureCollection", "features": [' + DEEP + "]}"

    _out, _err, error = run(write_text(tmp_path, text))

    assert error is not None and "nested too deeply" in str(error)
    assert not Area.objects.exists()


def test_the_admin_import_page_reports_hostile_features_instead_of_failing(tree, street_admin, client):
    features = [
        feature("43130200100105", "好网格", square(112.0, 27.73)),
        {"type": "Feature", "properties": "坏", "geometry": None},
        feature("43130200100106", "坏", {"type": "Polygon", "coordinates": [[{"x": 1}]]}),
        feature("43130200100107", "X", square(112.0, 27.75)),
    ]
    raw = collection(features).replace('"X"', '"\\ud800"').encode()
    client.force_login(street_admin)

    response = client.post(reverse("admin:grids_area_import"), {"file": SimpleUploadedFile("g.geojson", raw)},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    report = response.context["report"]
    assert report.created == ["43130200100105"]
    assert [problem.number for problem in report.errors] == [2, 3, 4]


def test_the_admin_import_page_refuses_a_file_nested_too_deeply(tree, street_admin, client):
    client.force_login(street_admin)
    raw = ('{"type": "FeatureCollection", "features": [' + DEEP + "]}").encode()

    response = client.post(reverse("admin:grids_area_import"), {"file": SimpleUploadedFile("g.geojson", raw)},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "nested too deeply" in str(response.context["form"].errors["file"])


# --- The admin area form: a boundary file or pasted boundary --------------------------


def post_boundary(client, user, grid, *, boundary=None, upload=None):
    client.force_login(user)
    data = {"parent": Area.objects.get_parent(grid).pk, "code": grid.code, "name": grid.name, "name_en": "", "grid_type": "basic",
            "exclusive_kind": "", "households": 320, "population": 900,
            "boundary": boundary if boundary is not None else json.dumps(grid.boundary)}
    if upload is not None:
        data["boundary_file"] = SimpleUploadedFile("b.geojson", upload)
    return client.post(reverse("admin:grids_area_change", args=[grid.pk]), data, HTTP_ACCEPT_LANGUAGE="en")


def form_errors(response) -> dict:
    assert response.status_code == 200
    return response.context["adminform"].form.errors


@pytest.mark.parametrize(
    "upload, field, message",
    [
        (json.dumps({"type": "FeatureCollection", "features": {"a": 1}}).encode(),
         "boundary_file", "The FeatureCollection must hold exactly one feature."),
        (DEEP.encode(), "boundary_file", "nested too deeply"),
        (json.dumps({"type": "Polygon", "coordinates": [[{"x": 1}]]}).encode(),
         "boundary", "A position must be two numbers [longitude, latitude]."),
    ],
    ids=["features-object", "nested-too-deeply", "object-as-position"],
)
def test_a_hostile_boundary_file_is_a_form_error(tree, street_admin, client, upload, field, message):
    response = post_boundary(client, street_admin, tree["G11"], upload=upload)

    assert message in " ".join(form_errors(response)[field])


@pytest.mark.parametrize(
    "boundary, message",
    [
        (DEEP, "nested too deeply"),
        (json.dumps({"type": "Polygon", "coordinates": [[{"x": 1}]]}), "A position must be two numbers"),
        (json.dumps({"type": "Polygon", "coordinates": json.loads("[" * 100 + "1" + "]" * 100)}),
         "A Polygon's coordinates must be a list of rings"),
    ],
    ids=["nested-too-deeply", "object-as-position", "nested-100-deep"],
)
def test_a_hostile_pasted_boundary_is_a_form_error(tree, street_admin, client, boundary, message):
    response = post_boundary(client, street_admin, tree["G11"], boundary=boundary)

    assert message in " ".join(form_errors(response)["boundary"])


def test_a_gbk_boundary_file_is_read_like_the_import_reads_it(tree, street_admin, client):
    gbk = json.dumps({"type": "Feature", "properties": {"name": "月塘"}, "geometry": square(112.0, 27.69)},
                     ensure_ascii=False).encode("gbk")

    response = post_boundary(client, street_admin, tree["G11"], upload=gbk)

    assert response.status_code == 302, form_errors(response)
    tree["G11"].refresh_from_db()
    assert tree["G11"].boundary == square(112.0, 27.69)


# --- Repeated codes and the order of the file ---------------------------------------


def test_a_code_repeated_with_one_bad_copy_imports_no_copy(db, tmp_path):
    features = [
        *PARENTS[:3],
        feature("431302001001", "月塘社区", {"type": "Point", "coordinates": [112.0, 27.7]}),  # 4: bad copy
        feature("431302001001", "月塘社区"),  # 5: good copy
        feature("43130200100101", "网格", square(112.0, 27.7)),  # 6: its child
    ]

    out, err, error = run(write(tmp_path, features))

    assert error is not None
    assert "3 created, 0 updated, 0 unchanged, 3 failed" in out
    assert "feature #4 (431302001001): The boundary must be a Polygon or MultiPolygon, not Point" in err
    assert "feature #5 (431302001001): code 431302001001 appears in several features (#4、#5)" in err
    assert "feature #6 (43130200100101): its parent 431302001001 was not imported (see its error)" in err
    assert codes() == PARENT_CODES - {"431302001001"}


def test_a_second_level_grid_before_its_grid_imports_after_it(db, tmp_path):
    features = [
        *PARENTS,
        feature("4313020010010101", "二级网格", square(112.0, 27.7, 0.005), parent_code="43130200100101"),
        feature("43130200100101", "一级网格", square(112.0, 27.7)),
    ]

    out, err, error = run(write(tmp_path, features))

    assert error is None, err
    assert "6 created, 0 updated, 0 unchanged, 0 failed" in out
    subgrid = Area.objects.get(code="4313020010010101")
    assert (subgrid.level, Area.objects.get_parent(subgrid).code) == ("subgrid", "43130200100101")


# --- Size of an upload ----------------------------------------------------------------


def test_the_import_page_refuses_a_file_over_the_limit_and_names_the_command(tree, street_admin, client, settings):
    settings.GRIDS_IMPORT_MAX_BYTES = 1000
    raw = collection([feature("43130200100105", "好网格" * 100, square(112.0, 27.73))]).encode()
    assert len(raw) > 1000
    client.force_login(street_admin)

    response = client.post(reverse("admin:grids_area_import"), {"file": SimpleUploadedFile("g.geojson", raw)},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    message = str(response.context["form"].errors["file"])
    assert "1000" in message and "import_grids" in message
    assert not Area.objects.filter(code="43130200100105").exists()


def test_a_boundary_file_over_the_limit_is_a_form_error(tree, street_admin, client, settings):
    settings.GRIDS_IMPORT_MAX_BYTES = 100

    response = post_boundary(client, street_admin, tree["G11"], upload=json.dumps(square(112.0, 27.69)).encode())

    assert "100" in str(form_errors(response)["boundary_file"])


# --- Numbers as GIS tools write them ------------------------------------------------


def test_a_whole_number_written_as_a_float_is_a_whole_number(db, tmp_path):
    grid = feature("43130200100101", "网格", square(112.0, 27.7), households=300.0, population=850.0)
    half = feature("43130200100102", "半户网格", square(112.01, 27.7), households=300.5)

    _out, err, _error = run(write(tmp_path, [*PARENTS, grid, half]))

    assert (Area.objects.get(code="43130200100101").households, Area.objects.get(code="43130200100101").population) == (300, 850)
    assert "feature #6 (43130200100102): households must be a whole number, not 300.5." in err


def test_a_geometry_type_with_a_broken_character_is_shown_escaped(db, tmp_path):
    text = collection([*PARENTS, feature("43130200100101", "坏", {"type": "X", "coordinates": [1]}), GOOD_GRID])
    text = text.replace('"X"', '"Poly\\ud800gon"')

    out, err, _error = run(write_text(tmp_path, text))

    assert "5 created" in out
    assert "feature #5 (43130200100101): The boundary must be a Polygon or MultiPolygon, not Poly\\ud800gon." in err


# --- Property names as GIS tools and Chinese users write them ------------------------------


def test_upper_case_and_chinese_property_names_are_read(db, tmp_path):
    """A shapefile's attribute table exported by QGIS upper-cases its fields, and users
    name them in Chinese: CODE / 网格编码, 网格名称, 上级编码, 户数, 人口 import like code,
    name, parent_code, households, population; a code typed with a space inside reads
    as the code."""
    grid = {"type": "Feature", "geometry": square(112.05, 27.70),
            "properties": {"网格编码": "4313020010 0109", "网格名称": "好网格", "户数": 320.0, "人口": "980"}}
    upper = {"type": "Feature", "geometry": square(112.06, 27.70),
             "properties": {"CODE": "43130200100110", "NAME": "大写网格", "Level": "网格", "PARENT_CODE": "431302001001"}}

    out, err, error = run(write_text(tmp_path, collection([*PARENTS, grid, upper])))

    assert error is None, err
    assert "6 created, 0 updated, 0 unchanged, 0 failed" in out
    first = Area.objects.get(code="43130200100109")
    assert (first.name, first.households, first.population, Area.objects.get_parent(first).code) == ("好网格", 320, 980, "431302001001")
    assert Area.objects.get(code="43130200100110").name == "大写网格"


def test_two_names_of_one_property_that_disagree_fail_their_feature(db, tmp_path):
    """编码 and 网格编码 with different codes: which one is meant is not guessed. The
    documented name beside an alias is the one read."""
    clash = {"type": "Feature", "geometry": square(112.05, 27.70),
             "properties": {"编码": "43130200100109", "网格编码": "43130200100119", "名称": "两个编码"}}
    own = {"type": "Feature", "geometry": square(112.06, 27.70),
           "properties": {"code": "43130200100110", "CODE": "43130200100111", "name": "自己的名字"}}

    out, err, error = run(write_text(tmp_path, collection([*PARENTS, clash, own])))

    assert error is not None
    assert "5 created, 0 updated, 0 unchanged, 1 failed" in out
    assert "the properties 编码 and 网格编码 both give code, with different values." in err
    assert codes() == PARENT_CODES | {"43130200100110"}


def test_aliases_that_agree_or_hold_other_data_do_not_fail_a_feature(db, tmp_path):
    """CODE as a number beside 网格编码 as text, or with a space, say the same code; a
    DataV-style "parent" object is some other data, left alone as before."""
    numbers = {"type": "Feature", "geometry": square(112.05, 27.70),
               "properties": {"CODE": 43130200100109, "网格编码": "4313020010 0109", "名称": "数字编码", "parent": {"adcode": 431302},
                              "NAME": None, "户数": "", "HOUSEHOLDS": 120}}

    out, err, error = run(write_text(tmp_path, collection([*PARENTS, numbers])))

    assert error is None, err
    assert "5 created, 0 updated, 0 unchanged, 0 failed" in out
    assert Area.objects.get(code="43130200100109").name == "数字编码"  # an empty alias beside a filled one is no other value
    assert Area.objects.get(code="43130200100109").households == 120
