"""Importing key places (重点场所) from CSV or .xlsx ledgers: the residents import's
reader (lines, encodings, header row, aliases, sheets) and error report, so the same
round trip holds — the report is an import file, fixed rows change, a place named twice
in one grid stays a conflict until one row is deleted (docs/residents.md, *Key places*).

Places are upserted on their natural key (grid, name); a few thousand rows a file, so
plain ORM batches suffice.
"""

import functools

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.scoping import grids_visible_to
from residents.imports.columns import ERROR_HEADERS, IGNORED
from residents.imports.csvlines import LineProblem
from residents.imports.headers import Columns
from residents.imports.marks import EXCEL_ERRORS, blank_or_error, excel_error_message
from residents.imports.reading import ImportFileError, _text, blank_cell, read_table, rows_numbered
from residents.imports.report import ErrorReport, RowError
from residents.imports.validation import (
    HALF_WIDTH,
    all_grids,
    grid_code_error,
    grid_of,
    grids_by_code_or_name,
    one_line,
    visible,
)
from residents.models import KeyPlace, PlaceKind
from residents.phones import phone_normalise
from residents.signals import registry_changed

PLACE_COLUMNS = Columns(
    columns=[
        ("场所名称", "name", True, 100),
        ("场所类型", "kind", True, 20),
        ("网格编码", "grid", True, 32),
        ("地址", "address", False, 200),
        ("纬度", "lat", False, 20),
        ("经度", "lon", False, 20),
        ("负责人", "contact_name", False, 60),
        ("联系电话", "contact_phone", False, 30),
    ],
    aliases={"场所名称": ["名称", "单位名称", "场所"], "场所类型": ["类型", "类别", "场所类别"],
             "网格编码": ["所属网格", "网格", "网格编号"], "地址": ["详细地址", "场所地址"],
             "负责人": ["联系人", "法人", "负责人姓名"], "联系电话": ["电话", "手机号", "手机", "负责人电话"]},
    ignored=IGNORED,
    identity=frozenset({"name", "grid"}),
    contacts=frozenset({"contact_name", "contact_phone"}),
    fill_words={"name": ("场所", "名称", "单位全称", "营业执照", "招牌"),
                "grid": ("所属网格", "网格", "编码", "代码", "编号", "见", "工作表", "清单", "如", "例", r"\d+", "位", "数字")},
    own=frozenset({"本人", "负责人", "联系人", "法人", "法定代表人", "场所负责人", "责任人", "业主", "物业", "产权人"}),  # 联系电话（负责人）
    personal=frozenset({"contact_name", "contact_phone"}),
)
_KIND_SYNONYMS = {
    "学校": PlaceKind.SCHOOL, "幼儿园": PlaceKind.SCHOOL, "医院": PlaceKind.HOSPITAL, "诊所": PlaceKind.HOSPITAL,
    "卫生院": PlaceKind.HOSPITAL, "市场": PlaceKind.MARKET, "农贸市场": PlaceKind.MARKET, "商场": PlaceKind.MARKET,
    "娱乐场所": PlaceKind.ENTERTAINMENT, "歌舞厅": PlaceKind.ENTERTAINMENT, "网吧": PlaceKind.ENTERTAINMENT,
    "危化品": PlaceKind.HAZARDOUS, "危险化学品": PlaceKind.HAZARDOUS, "加油站": PlaceKind.HAZARDOUS,
    "工地": PlaceKind.CONSTRUCTION, "建筑工地": PlaceKind.CONSTRUCTION, "宗教场所": PlaceKind.RELIGIOUS,
    "其他": PlaceKind.OTHER, **{value: value for value in PlaceKind.values},
}


@functools.cache
def kind_words() -> dict[str, str]:
    """What a 场所类型 cell may hold: the kinds' Chinese names (whatever the language of
    the page that runs the import), the synonyms above and the stored values."""
    with translation.override("zh-hans"):
        return {**_KIND_SYNONYMS, **{str(label): value for value, label in PlaceKind.choices}}


def kind_names() -> str:
    """The kinds' Chinese names, for the error of a cell that holds none of them."""
    with translation.override("zh-hans"):
        return "、".join(str(label) for _value, label in PlaceKind.choices)


FIELDS = ("kind", "address", "lat", "lon", "contact_name", "contact_phone")
# How far (degrees, ~2 km) a place may lie outside its grid's bounding box: room for
# coordinates taken from Chinese web maps (GCJ-02, BD-09), which are shifted from WGS84.
MARGIN = 0.02


def _coordinate(text: str, low: float, high: float) -> float | None:
    if not text:
        return None
    value = float(text)
    if not low <= value <= high:
        raise ValueError
    return value


def _validate(number: int, cells: list, positions: dict, grids: dict, bounds: dict) -> tuple[dict | None, list[RowError]]:
    value = {key: _text(cells[position]) if position < len(cells) else "" for key, position in positions.items()}
    errors = []
    for header, key, required, length in PLACE_COLUMNS.columns:
        if value.get(key, "").upper() in EXCEL_ERRORS:
            errors.append(RowError(number, header, excel_error_message(value[key].upper())))
        elif required and not value.get(key):
            errors.append(RowError(number, header, _("required")))
        elif len(value.get(key, "")) > length:
            errors.append(RowError(number, header, _("longer than %(length)s characters") % {"length": length}))
    if errors:
        return None, errors
    name = one_line(value["name"])
    if not name:  # only control characters
        return None, [RowError(number, "场所名称", _("required"))]
    place = {"name": name, "grid_id": grid_of(grids, value["grid"]), "address": value.get("address", ""),
             "contact_name": value.get("contact_name", ""), "kind": kind_words().get(value["kind"])}
    if place["grid_id"] is None:
        errors.append(RowError(number, "网格编码", grid_code_error(value["grid"], grids)))
    if place["kind"] is None:
        errors.append(RowError(number, "场所类型", _("write one of %(kinds)s") % {"kinds": kind_names()}))
    errors += _coordinates(number, value, place, bounds.get(place["grid_id"]))
    try:
        place["contact_phone"] = phone_normalise(value["contact_phone"]) if value.get("contact_phone") else ""
    except ValueError as error:
        errors.append(RowError(number, "联系电话", str(error)))
    return (None, errors) if errors else (place, [])


def _coordinates(number: int, value: dict, place: dict, box: tuple | None) -> list[RowError]:
    """Fill the place's lat and lon; the errors of their cells: not degrees, latitude and
    longitude swapped (a latitude over 90 that is a longitude, or the point in the grid only
    when the two are exchanged), or a point away from the grid (outside its bounding box,
    when it has a boundary, by more than ``MARGIN``)."""
    errors, swapped = [], RowError(number, "纬度", _("纬度 and 经度 look swapped: exchange the two cells"))
    for header, key, low, high in (("纬度", "lat", -90, 90), ("经度", "lon", -180, 180)):
        try:
            place[key] = _coordinate(value.get(key, ""), low, high)
        except ValueError:
            errors.append(RowError(number, header, _("not a coordinate in degrees")))
    if [error.column for error in errors] == ["纬度"] and place.get("lon") is not None and -90 <= place["lon"] <= 90:
        try:
            return [swapped] if _coordinate(value["lat"], -180, 180) is not None else errors
        except ValueError:
            return errors
    lat, lon = place.get("lat"), place.get("lon")
    if not errors and (lat is None) != (lon is None):
        return [RowError(number, "纬度" if lat is None else "经度", _("give both 纬度 and 经度, or neither"))]
    if errors or lat is None or box is None or None in box:
        return errors
    min_lon, min_lat, max_lon, max_lat = box

    def inside(lat, lon):
        return min_lat - MARGIN <= lat <= max_lat + MARGIN and min_lon - MARGIN <= lon <= max_lon + MARGIN

    if inside(lat, lon):
        return []
    if inside(lon, lat):
        return [swapped]
    return [RowError(number, "纬度", _("this point is not in the grid (it lies between latitudes %(south).3f–%(north).3f and "
                                      "longitudes %(west).3f–%(east).3f): check the coordinates and the grid")
                     % {"south": min_lat, "north": max_lat, "west": min_lon, "east": max_lon})]


def _key(cells: list, positions: dict, grids: dict) -> tuple | None:
    """(grid, name) of a refused row, when both can be read."""
    name, grid = (_text(cells[positions[key]]) if positions[key] < len(cells) else "" for key in ("name", "grid"))
    grid_id = grid_of(grids, grid)
    return (grid_id, same_name(name)) if name and grid_id is not None else None


def same_name(name: str) -> str:
    """A place's name as compared: full-width brackets, digits and letters as half-width,
    any run of spaces (an ideographic one too) as one — 月塘小学（东校区） is 月塘小学(东校区)."""
    return " ".join(name.translate(HALF_WIDTH).split())


def key_places_import(*, actor, path, sheet: str = ""):
    """Import the key places of a file as ``actor`` (``None``: the system). Returns the
    ``ImportResult`` and the ``ErrorReport``; ``ImportFileError`` for a file that cannot
    be read as a whole."""
    from residents.imports import ImportResult, empty_rows_note

    try:
        table = read_table(path, PLACE_COLUMNS, sheet=sheet)
    except ImportFileError as error:
        from residents.imports import other_kind
        from residents.imports.columns import RESIDENT_COLUMNS

        raise other_kind(error, RESIDENT_COLUMNS, _("residents")) from None
    visible_grids = (grids_visible_to(actor) if actor is not None else all_grids()).values_list(
        "code", "name", "id", "min_lon", "min_lat", "max_lon", "max_lat")
    grids = grids_by_code_or_name((code, name, pk) for code, name, pk, *_box in visible_grids)
    bounds = {pk: tuple(box) for _code, _name, pk, *box in visible_grids}
    report = ErrorReport(table.header, ERROR_HEADERS, reread=lambda numbers: rows_numbered(path, PLACE_COLUMNS, sheet, numbers),
                         pair_column="场所名称", pair_message=lambda: _(
                             "this row was imported; row %(rows)s of the file names the same place in the same grid: "
                             "delete the row you do not want before importing this report again"))
    result = ImportResult(notes=table.notes)
    valid, seen, skipped = [], {}, 0
    for number, cells in table.rows:
        if cells.__class__ is LineProblem:
            result.rows += 1
            report.add(number, cells.cells, [RowError(number, "", cells.reason)])
            continue
        cells = visible(cells)  # a zero-width space copied from a web page would make another place
        if all(blank_or_error(cells[position]) for position in table.positions.values() if position < len(cells)):
            skipped += not all(map(blank_cell, cells))  # a 序号 alone: noted
            continue
        result.rows += 1
        place, errors = _validate(number, cells, table.positions, grids, bounds)
        # The first row of a place decides, refused or not: a pair stays a pair in the
        # report, so fixing one row cannot apply it over the other's place.
        key = (place["grid_id"], same_name(place["name"])) if place is not None else _key(cells, table.positions, grids)
        if key is not None:
            first = seen.setdefault(key, number)
            if first != number:
                errors = [*errors, RowError(number, "场所名称", _("the same place is already in row %(row)s of this file")
                                            % {"row": first}, first_row=first)]
        if errors:
            report.add(number, cells, errors)
            continue
        valid.append((number, cells, place))
    if result.rows == 0:
        raise ImportFileError(_("The file has headers but no rows."))
    if skipped:
        result.notes.append(empty_rows_note(skipped))
    # A column the file does not have keeps what is stored (a list of names and types
    # must not blank every place's contact); an empty cell of a column it has clears it.
    fields = [field for field in FIELDS if field in table.positions]
    with transaction.atomic():
        for number, cells, error in _upsert(valid, result, fields):
            report.add(number, cells, [error], written=True)
    result.errors, result.error_sample = report.count, report.sample
    return result, report


def _upsert(rows: list[tuple[int, list, dict]], result, fields: list[str]) -> list[tuple[int, list, RowError]]:
    """Create the new places of ``rows`` (number, cells, place); change ``fields`` (the
    file's columns) of the others, found by their names as compared (``same_name``): a
    place keeps the spelling stored first. The rows refused: (number, cells, error)."""
    places = [place for _number, _cells, place in rows]
    stored = list(KeyPlace.objects.filter(grid_id__in={p["grid_id"] for p in places}).values("grid_id", "name", *FIELDS))
    exact = {(p["grid_id"], p["name"]): p for p in stored}
    folded: dict[tuple, list] = {}
    for p in stored:
        folded.setdefault((p["grid_id"], same_name(p["name"])), []).append(p)
    write, refused = [], []
    for number, cells, place in rows:
        # The place of that exact name, else the one place spelled alike (two spelled alike
        # and none exactly: which one is meant cannot be told, so the row is refused).
        old = exact.get((place["grid_id"], place["name"]))
        if old is None:
            alike = folded.get((place["grid_id"], same_name(place["name"])), [])
            if len(alike) > 1:
                refused.append((number, cells, RowError(number, "场所名称", _(
                    "places spelled like this are already recorded in the grid (%(names)s): write one's name as it is")
                    % {"names": "、".join(sorted(p["name"] for p in alike))})))
                continue
            old = alike[0] if alike else None
        if old is not None:
            place["name"] = old["name"]
        if old is None:
            result.created += 1
        elif all(old[field] == place[field] for field in fields):
            result.unchanged += 1
            continue
        else:
            result.updated += 1
        write.append(KeyPlace(**place))
    KeyPlace.objects.bulk_create(write, batch_size=1000, update_conflicts=True, unique_fields=["grid", "name"],
                                 update_fields=fields)
    if write:  # campaigns over these grids follow (residents.signals)
        registry_changed.send(sender=KeyPlace, grid_ids=sorted({place.grid_id for place in write}))
    return refused
