"""The GeoJSON import changes only what the file says (review 14): a file of boundaries
redrawn in a GIS keeps the counts and grid types typed in the admin; a minified file
with a GBK name among UTF-8 ones keeps every name; a parent_code that a node's code
does not belong to moves nothing; invisible and control characters stay out of names;
codes a GIS or Excel wrote as numbers are read when no digit was lost, refused when one was."""

import json

import pytest

from grids.models import Area
from tests.conftest import square
from tests.grids.test_import_grids import feature, run, write

pytestmark = pytest.mark.django_db


def test_a_file_of_boundaries_keeps_the_counts_and_grid_types_it_does_not_mention(tree, tmp_path):
    g12, g21 = tree["G12"], tree["G21"]
    path = write(tmp_path, [
        feature(g12.code, g12.name, square(112.01, 27.70, 0.0099)),
        feature(g21.code, g21.name, square(112.02, 27.70, 0.0099)),
    ])

    out, err, error = run(path)

    assert error is None, err
    assert "updated 2" in out or "2 updated" in out, out
    g12.refresh_from_db(), g21.refresh_from_db()
    assert (g12.households, g12.population) == (610, 1700)
    assert (g21.grid_type, g21.exclusive_kind) == ("exclusive", "school")
    assert g12.max_lon == pytest.approx(112.01 + 0.0099)


def test_a_property_the_file_has_empty_clears_it(tree, tmp_path):
    g12 = tree["G12"]
    path = write(tmp_path, [feature(g12.code, g12.name, square(112.01, 27.70), households=None, population="")])

    _out, err, error = run(path)

    assert error is None, err
    g12.refresh_from_db()
    assert (g12.households, g12.population) == (None, None)


def test_a_minified_file_with_a_gbk_name_among_utf8_ones_keeps_every_name(db, tmp_path):
    features = [feature("431300000000", "娄底市", level="city"), feature("431302000000", "娄星区"),
                feature("431302001000", "乐坪街道", level="街道")]
    raw = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")
    raw = raw.replace("娄星区".encode(), "娄星区".encode("gbk"))  # one name pasted in from a GBK file
    assert b"\n" not in raw
    path = tmp_path / "minified.geojson"
    path.write_bytes(raw)

    _out, err, error = run(str(path))

    assert error is None, err
    assert dict(Area.objects.values_list("code", "name")) == {
        "431300000000": "娄底市", "431302000000": "娄星区", "431302001000": "乐坪街道"}


def test_a_line_neither_utf8_nor_gbk_still_names_its_line(db, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_bytes(b'{"type": "FeatureCollection", "features": [\n{"type": "Feature", "properties": '
                     b'{"code": "431300000000", "name": "\xff\xfe\x80"}, "geometry": null}]}')

    _out, _err, error = run(str(path))

    assert error is not None and "line 2" in str(error), error
    assert not Area.objects.exists()


def test_a_parent_code_of_another_street_moves_nothing(tree, tmp_path):
    community = tree["C1"]
    path = write(tmp_path, [feature(community.code, community.name, parent_code="431321100000")])

    out, err, error = run(path)

    assert error is not None, out
    assert community.code in err and "431321100000" in err, err
    community.refresh_from_db()
    assert Area.objects.get_parent(community).code == "431302001000"


def test_invisible_and_control_characters_stay_out_of_names(tree, tmp_path):
    path = write(tmp_path, [feature("43130200100108", "新\u200b网格\x07二", square(112.40, 27.30)),
                            feature("43130200100109\u200b", "\u2060北\t区网格", square(112.50, 27.30))])

    _out, err, error = run(path)

    assert error is None, err
    assert dict(Area.objects.filter(code__in=["43130200100108", "43130200100109"]).values_list("code", "name")) == {
        "43130200100108": "新网格 二", "43130200100109": "北 区网格"}


def test_a_code_written_as_a_whole_decimal_is_read_and_one_that_lost_digits_is_refused(tree, tmp_path):
    path = write(tmp_path, [
        feature(43130200100108.0, "实数字段网格", square(112.40, 27.30)),
        feature("43130200100109.0", "文本小数网格", square(112.50, 27.30)),
        feature("4.31302E+13", "科学计数网格", square(112.60, 27.30), parent_code="431302001001"),
    ])

    out, err, error = run(path)

    assert error is not None, out
    assert set(Area.objects.filter(code__in=["43130200100108", "43130200100109"]).values_list("name", flat=True)) == {
        "实数字段网格", "文本小数网格"}
    assert "4.31302E+13" in err and "lost" in err, err
    assert not Area.objects.filter(name="科学计数网格").exists()


def test_a_code_written_as_a_json_number_in_scientific_notation_is_refused_not_read(tree, tmp_path):
    path = tmp_path / "scientific.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                    '{"code": 4.31302E+11, "name": "月塘社区"}, "geometry": null}, {"type": "Feature", "properties": '
                    '{"code": "4313020010010101.0", "name": "二级", "level": "subgrid", "parent_code": 43130200100101.0}, '
                    '"geometry": {"type": "Polygon", "coordinates": [[[112.0, 27.7], [112.005, 27.7], [112.005, 27.705], '
                    '[112.0, 27.705], [112.0, 27.7]]]}}]}', encoding="utf-8")

    out, err, error = run(str(path))

    assert error is not None and "4.31302E+11" in err, (out, err)
    assert Area.objects.get(code="431302000000").name == "娄星区"  # not renamed
    assert Area.objects.get(code="4313020010010101").name == "二级"


def test_a_line_with_gbk_pieces_keeps_latin_utf8_names_and_gbk_that_reads_as_utf8(db, tmp_path):
    features = [feature("431300000000", "娄底市", level="city", name_en="Lóudǐ Shì"),
                feature("431302000000", "XX", name_en="Ürümqi"), feature("431302001000", "YY", level="街道")]
    raw = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode("utf-8")
    # 岑村东 in GBK happens to be valid UTF-8 (᯴嶫); 娄星区 in GBK is not.
    raw = raw.replace(b"XX", "岑村东".encode("gbk")).replace(b"YY", "乐坪街道".encode("gbk"))
    path = tmp_path / "mixed.geojson"
    path.write_bytes(raw)

    _out, err, error = run(str(path))

    assert error is None, err
    assert set(Area.objects.values_list("name", "name_en")) == {
        ("娄底市", "Lóudǐ Shì"), ("岑村东", "Ürümqi"), ("乐坪街道", "")}


def test_an_empty_english_name_clears_it_and_a_whole_count_written_as_text_with_decimals_is_read(tree, tmp_path):
    g12 = tree["G12"]
    Area.objects.filter(pk=g12.pk).update(name_en="Yuetang 2")
    path = write(tmp_path, [feature(g12.code, g12.name, square(112.01, 27.70), name_en="", households="300.0")])

    _out, err, error = run(path)

    assert error is None, err
    g12.refresh_from_db()
    assert (g12.name_en, g12.households) == ("", 300)


def test_nan_and_infinity_are_told_as_not_numbers(tree, tmp_path):
    g12, g21 = tree["G12"], tree["G21"]
    ring = square(112.01, 27.70)
    ring["coordinates"][0][1] = [float("nan"), 27.70]
    path = write(tmp_path, [feature(g12.code, g12.name, ring), feature(float("inf"), g21.name, square(112.02, 27.70))])

    out, err, error = run(path)

    assert error is not None
    text = out + err + str(error)
    assert "A position must be two numbers [longitude, latitude]." in text, text
    assert "outside WGS84" not in text
    assert "the property code is inf, not a code." in text, text
