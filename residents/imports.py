"""Importing residents from the CSV and .xlsx files grid workers keep (docs/residents.md).

The file is streamed: rows are read one at a time (``csv`` / openpyxl read-only),
validated in plain Python against maps loaded once (grid code → grid in the importer's
scope), and written in batches: buildings, units, rooms and households upserted on
their natural keys, then residents upserted on the keyed hash of the ID number —
on PostgreSQL through ``COPY`` into a temporary staging table and one
``INSERT … ON CONFLICT (id_hash) DO UPDATE``, elsewhere through ``bulk_create``.
Memory stays bounded by the batch size (plus one small entry per ID number seen, for
duplicates inside the file).

A bad row never stops the good ones and is never dropped silently: each gets its row
number, column and reason, and all of them go to an .xlsx error report with the
original columns plus the reasons, to fix and import again. Importing the same file
again changes nothing.
"""

import codecs
import csv
import datetime
import io
import logging
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from accounts.scoping import grids_visible_to, user_scope
from residents import crypto
from residents.exports import safe_cell
from residents.ids import FEMALE, MALE, InvalidNumber, normalise_phone, parse_id_number
from residents.models import Building, Household, ImportStatus, ResidenceType, Resident, ResidentImport, Room, Unit

logger = logging.getLogger(__name__)

# (header, key, required, max length); the order is the template's.
COLUMNS = [
    ("姓名", "name", True, 50),
    ("性别", "gender", False, 4),
    ("出生日期", "birth_date", False, 20),
    ("公民身份号码", "id_number", True, 20),
    ("联系电话", "phone", False, 20),
    ("民族", "ethnicity", False, 20),
    ("人员类型", "residence_type", False, 10),
    ("户籍地址", "registered_address", False, 200),
    ("网格编码", "grid", True, 32),
    ("楼栋", "building", False, 60),
    ("单元", "unit", False, 30),
    ("房号", "room", False, 20),
    ("户号", "household", False, 30),
    ("与户主关系", "relation_to_head", False, 20),
    ("入住日期", "moved_in_on", False, 20),
]
HEADERS = [column[0] for column in COLUMNS]
# Other names files use for the same columns.
HEADER_ALIASES = {"身份证号": "公民身份号码", "身份证号码": "公民身份号码", "手机号码": "联系电话", "电话": "联系电话", "手机": "联系电话"}
# Columns read and ignored: a serial number, remarks, and what the error report and
# the export add.
IGNORED_HEADERS = {"序号", "备注", "网格", "迁出日期", "行号", "错误列", "错误原因"}
ERROR_HEADERS = ["行号", "错误列", "错误原因"]
GENDER_WORDS = {"男": MALE, "男性": MALE, "M": MALE, "女": FEMALE, "女性": FEMALE, "F": FEMALE}
RESIDENCE_WORDS = {
    "户籍": ResidenceType.REGISTERED, "户籍人口": ResidenceType.REGISTERED,
    "流动": ResidenceType.FLOATING, "流动人口": ResidenceType.FLOATING,
    "寄住": ResidenceType.LODGING, "寄住人口": ResidenceType.LODGING,
    "境外": ResidenceType.FOREIGN, "境外人员": ResidenceType.FOREIGN,
    "未落户": ResidenceType.UNREGISTERED, "未落户人员": ResidenceType.UNREGISTERED,
    **{value: value for value in ResidenceType.values},
}
_DATE = re.compile(r"(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?")
SAMPLE_ERRORS = 100
_CACHE_LIMIT = 200_000


class ImportFileError(Exception):
    """The file as a whole cannot be imported (wrong type, empty, wrong headers)."""


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    error_sample: list[dict] = field(default_factory=list)


# --- Reading the file ---------------------------------------------------------------------


def count_rows(path) -> int:
    """Data rows in the file, for progress: lines of a CSV (quick, by bytes) or the
    sheet's recorded dimension of an .xlsx."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(b"PK"):
            try:
                handle.seek(0)
                workbook = load_workbook(handle, read_only=True)
                return max(0, (workbook.worksheets[0].max_row or 1) - 1)
            except Exception:  # noqa: BLE001 (read_table reports the real problem)
                return 0
        handle.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    return max(0, lines - 1)


def read_table(path) -> tuple[list[str], Iterator[tuple[int, list]]]:
    """(header cells, iterator of (row number, cells)) of a CSV or .xlsx file, told
    apart by content, not by name. Row numbers are as a spreadsheet shows them."""
    with open(path, "rb") as handle:
        head = handle.read(65536)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel 97–2003 (.xls) file; save it as .xlsx (Excel Workbook) or CSV and try again."))
    if b"\x00" in head:
        raise ImportFileError(_("This is not a CSV or .xlsx file."))
    return _read_csv(path, head)


def _read_xlsx(path):
    try:
        # A file object: openpyxl would otherwise judge the file by its name.
        workbook = load_workbook(open(path, "rb"), read_only=True, data_only=True)  # noqa: SIM115 (closed with the workbook)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ImportFileError(_("This is not a CSV or .xlsx file.")) from None
    rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
    for number, cells in rows:
        if any(cell not in (None, "") for cell in cells):
            header = [_text(cell) for cell in cells]

            def data_rows():
                try:
                    for n, c in rows:
                        yield n, list(c)
                finally:
                    workbook.close()

            return header, data_rows()
        if number > 20:
            break
    raise ImportFileError(_("The file is empty."))


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"  # what Excel on a Chinese Windows saves "CSV" as
    return "utf-8"


def _read_csv(path, head: bytes):
    encoding = _encoding(head)
    first_line = head.split(b"\n", 1)[0]
    delimiter = "\t" if b"\t" in first_line and b"," not in first_line else ","
    handle = open(path, encoding=encoding, newline="", errors="replace")  # noqa: SIM115 (closed by the generator)
    reader = csv.reader(handle, delimiter=delimiter)
    for number, cells in enumerate(reader, start=1):
        if any(cell.strip() for cell in cells):
            header = [cell.strip() for cell in cells]

            def rows(start=number):
                with handle:
                    yield from enumerate(reader, start=start + 1)

            return header, rows()
    handle.close()
    raise ImportFileError(_("The file is empty."))


def column_positions(header: list[str]) -> dict[str, int]:
    """key → position of each known column; one clear error for unknown or missing ones."""
    positions, unknown = {}, []
    known = {column[0]: column[1] for column in COLUMNS}
    for position, name in enumerate(header):
        name = HEADER_ALIASES.get(name.rstrip("*＊").strip(), name.rstrip("*＊").strip())
        if not name or name in IGNORED_HEADERS:
            continue
        if name not in known:
            unknown.append(name)
        elif known[name] not in positions:
            positions[known[name]] = position
    missing = [column[0] for column in COLUMNS if column[2] and column[1] not in positions]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(_("missing columns: %(columns)s") % {"columns": "、".join(missing)})
        if unknown:
            parts.append(_("unknown columns: %(columns)s") % {"columns": "、".join(unknown)})
        raise ImportFileError(
            _("The headers do not match the residents template (%(problems)s). The columns are: %(columns)s.")
            % {"problems": "; ".join(parts), "columns": "、".join(HEADERS)}
        )
    return positions


# --- Validating one row -------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    match = _DATE.fullmatch(_text(value))
    if match is None:
        raise ValueError
    return datetime.date(int(match[1]), int(match[2]), int(match[3]))


class RowValidator:
    """Turns one row's cells into the values to write, or a list of errors. Holds the
    maps loaded once per import: the grids in the importer's scope by code."""

    def __init__(self, *, actor, positions: dict[str, int], upgrade_ids: bool):
        self.positions = positions
        self.upgrade_ids = upgrade_ids
        grids = grids_visible_to(actor) if actor is not None else _all_grids()
        self.grids = {code: grid_id for code, grid_id in grids.values_list("code", "id")}
        self.today = timezone.localdate()
        self.seen: dict[int, int] = {}  # 64 bits of each ID hash → first row number

        # (key, position or -1) for every column; header, key and length of the checked ones.
        self.layout = [(key, positions.get(key, -1)) for _header, key, _required, _length in COLUMNS]

    def read(self, raw: list) -> dict:
        """The row's cells by key: text stripped; dates, and a number in the ID column
        (reported below), kept as they are."""
        size = len(raw)
        text = {}
        for key, position in self.layout:
            value = raw[position] if 0 <= position < size else None
            if value is None:
                text[key] = ""
            elif value.__class__ is str:
                text[key] = value.strip()
            elif isinstance(value, datetime.date) and key in ("birth_date", "moved_in_on"):
                text[key] = value
            elif isinstance(value, (int, float)) and key == "id_number":
                text[key] = value
            else:
                text[key] = _text(value)
        return text

    def validate(self, number: int, raw: list) -> tuple[list | None, list[RowError]]:
        text = self.read(raw)
        errors: list[RowError] = []
        for header, key, required, length in COLUMNS:
            value = text[key]
            if required and not value:
                errors.append(RowError(number, header, _("required")))
            elif value.__class__ is str and len(value) > length:
                errors.append(RowError(number, header, _("longer than %(length)s characters") % {"length": length}))
        if errors:
            return None, errors

        id_raw = text["id_number"]
        if isinstance(id_raw, (float, int)):
            return None, [RowError(number, "公民身份号码", _("Excel stored the ID number as a number and may have lost digits; format the column as text and type it again"))]
        try:
            id_number = parse_id_number(id_raw, upgrade_legacy=self.upgrade_ids, today=self.today)
        except InvalidNumber as error:
            return None, [RowError(number, "公民身份号码", str(error))]

        gender = id_number.gender
        if text["gender"]:
            word = text["gender"]
            given = GENDER_WORDS.get(word.upper() if word.isascii() else word)
            if given is None:
                errors.append(RowError(number, "性别", _("write 男 or 女")))
            elif given != gender:
                errors.append(RowError(number, "性别", _("does not match the ID number (its sequence digit says %(gender)s)")
                                       % {"gender": "男" if gender == MALE else "女"}))
        if text["birth_date"]:
            try:
                birth = _date(text["birth_date"])
            except ValueError:
                errors.append(RowError(number, "出生日期", _("not a date (write 1980-01-31)")))
            else:
                if birth != id_number.birth_date:
                    errors.append(RowError(number, "出生日期", _("does not match the birth date in the ID number (%(date)s)")
                                           % {"date": id_number.birth_date.isoformat()}))
        phone = ""
        if text["phone"]:
            try:
                phone = normalise_phone(text["phone"])
            except InvalidNumber as error:
                errors.append(RowError(number, "联系电话", str(error)))
        residence_type = ResidenceType.REGISTERED
        if text["residence_type"]:
            residence_type = RESIDENCE_WORDS.get(text["residence_type"])
            if residence_type is None:
                errors.append(RowError(number, "人员类型", _("write one of 户籍, 流动, 寄住, 境外, 未落户")))
        grid_id = self.grids.get(text["grid"])
        if grid_id is None:
            errors.append(RowError(number, "网格编码", _("no such grid in your area")))
        moved_in_on = None
        if text["moved_in_on"]:
            try:
                moved_in_on = _date(text["moved_in_on"])
            except ValueError:
                errors.append(RowError(number, "入住日期", _("not a date (write 2020-05-01)")))
        building, unit, room = text["building"], text["unit"], text["room"]
        if (unit or room) and not building:
            errors.append(RowError(number, "楼栋", _("a unit or room needs its building")))
        if errors:
            return None, errors

        id_cipher, id_hash, id_mask = crypto.protect(id_number.value, field="id_number")
        key = int(id_hash[:16], 16)
        first = self.seen.get(key)
        if first is not None:
            return None, [RowError(number, "公民身份号码", _("the same ID number is already in row %(row)s of this file") % {"row": first})]
        self.seen[key] = number
        phone_cipher, phone_hash, phone_mask = crypto.protect(phone, field="phone")
        return [
            number, grid_id, building, unit, room, text["household"],
            text["name"], gender, id_number.birth_date, id_cipher, id_hash, id_mask, phone_cipher, phone_hash, phone_mask,
            text["ethnicity"], residence_type, text["registered_address"], text["relation_to_head"], moved_in_on,
        ], []


def _all_grids():
    from grids.models import Grid

    return Grid.objects.all()


# Positions in a validated row.
(R_LINE, R_GRID, R_BUILDING, R_UNIT, R_ROOM, R_HOUSEHOLD, R_NAME, R_GENDER, R_BIRTH, R_ID_CIPHER, R_ID_HASH, R_ID_MASK,
 R_PHONE_CIPHER, R_PHONE_HASH, R_PHONE_MASK, R_ETHNICITY, R_TYPE, R_ADDRESS, R_RELATION, R_MOVED_IN) = range(20)
# Resident columns written, in the order of the staging table.
RESIDENT_COLUMNS = (
    "grid_id", "room_id", "household_id", "name", "gender", "birth_date", "id_cipher", "id_hash", "id_mask",
    "phone_cipher", "phone_hash", "phone_mask", "ethnicity", "residence_type", "registered_address", "relation_to_head",
    "moved_in_on",
)
# Columns whose change makes a row "updated" (the ciphers change with every encryption).
COMPARED_COLUMNS = tuple(c for c in RESIDENT_COLUMNS if c not in ("id_cipher", "phone_cipher", "id_hash"))


# --- Writing a batch ----------------------------------------------------------------------


class PlaceCache:
    """Ids of buildings, units, rooms and households by natural key, created when
    missing. One or two queries per batch and kind; bounded in size."""

    def __init__(self):
        self.buildings: dict[tuple, int] = {}
        self.units: dict[tuple, int] = {}
        self.rooms: dict[tuple, int] = {}
        self.households: dict[tuple, int] = {}

    def resolve(self, rows: list[list]) -> list[tuple[int | None, int | None]]:
        """(room id, household id) for each row, creating what is missing."""
        building_keys = {(r[R_GRID], r[R_BUILDING]) for r in rows if r[R_BUILDING]}
        self._ensure(self.buildings, Building, ("grid_id", "name"), {key: {} for key in building_keys})
        unit_keys = {(self.buildings[(r[R_GRID], r[R_BUILDING])], r[R_UNIT]) for r in rows if r[R_BUILDING]}
        self._ensure(self.units, Unit, ("building_id", "name"), {key: {} for key in unit_keys})
        room_wanted = {}
        for r in rows:
            if r[R_ROOM]:
                building_id = self.buildings[(r[R_GRID], r[R_BUILDING])]
                room_wanted[(self.units[(building_id, r[R_UNIT])], r[R_ROOM])] = {"building_id": building_id}
        self._ensure(self.rooms, Room, ("unit_id", "number"), room_wanted)
        room_ids = [self._room_id(r) for r in rows]
        household_wanted = {(r[R_GRID], r[R_HOUSEHOLD]): {"room_id": room_id} for r, room_id in zip(rows, room_ids, strict=True)
                            if r[R_HOUSEHOLD]}
        self._ensure(self.households, Household, ("grid_id", "number"), household_wanted)
        return [
            (room_id, self.households[(r[R_GRID], r[R_HOUSEHOLD])] if r[R_HOUSEHOLD] else None)
            for r, room_id in zip(rows, room_ids, strict=True)
        ]

    def _room_id(self, r) -> int | None:
        if not r[R_ROOM]:
            return None
        building_id = self.buildings[(r[R_GRID], r[R_BUILDING])]
        return self.rooms[(self.units[(building_id, r[R_UNIT])], r[R_ROOM])]

    @staticmethod
    def _ensure(cache: dict, model, key_fields: tuple[str, str], wanted: dict[tuple, dict]) -> None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()  # before computing what is missing: the batch's keys are read back below
        missing = [key for key in wanted if key not in cache]
        if not missing:
            return
        first, second = key_fields
        if connection.vendor == "postgresql":
            _ensure_postgresql(cache, model, missing, wanted)
            return

        def load():
            found = model.objects.filter(
                **{f"{first}__in": {key[0] for key in missing}, f"{second}__in": {key[1] for key in missing}}
            ).values_list(first, second, "id")
            for a, b, pk in found:
                cache[(a, b)] = pk

        load()
        new = [key for key in missing if key not in cache]
        if new:
            model.objects.bulk_create(
                [model(**{first: key[0], second: key[1], **wanted[key]}) for key in new], ignore_conflicts=True, batch_size=2000
            )
            load()


# Per model: the natural key, the one extra column a new row takes from the rows, and
# the constant values of its other NOT NULL columns.
_PLACE_INSERTS = {
    Building: ("grid_id", "name", None, ("address", "leader_name", "leader_phone", "created_at"), "'', '', '', now()"),
    Unit: ("building_id", "name", None, ("leader_name", "leader_phone"), "'', ''"),
    Room: ("unit_id", "number", "building_id", ("use", "owner_name"), "'self', ''"),
    Household: ("grid_id", "number", "room_id", (), ""),
}


def _ensure_postgresql(cache: dict, model, missing: list[tuple], wanted: dict[tuple, dict]) -> None:
    """Insert the missing natural keys (ON CONFLICT DO NOTHING) and read the ids of all
    of them: two statements for any number of keys."""
    first, second, extra, constant_columns, constants = _PLACE_INSERTS[model]
    table = model._meta.db_table
    firsts = [key[0] for key in missing]
    seconds = [key[1] for key in missing]
    extras = [wanted[key].get(extra) for key in missing] if extra else [None] * len(missing)
    columns = ", ".join([first, second] + ([extra] if extra else []) + list(constant_columns))
    values = ", ".join(["k.a", "k.b"] + (["k.x"] if extra else []) + ([constants] if constants else []))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {values} FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) AS k(a, b, x) "
            f"ON CONFLICT DO NOTHING RETURNING {first}, {second}, id",
            [firsts, seconds, extras],
        )
        for a, b, pk in cursor.fetchall():
            cache[(a, b)] = pk
        rest = [key for key in missing if key not in cache]
        if rest:
            cursor.execute(
                f"SELECT t.{first}, t.{second}, t.id FROM {table} t JOIN unnest(%s::bigint[], %s::text[]) AS k(a, b) "
                f"ON t.{first} = k.a AND t.{second} = k.b",
                [[key[0] for key in rest], [key[1] for key in rest]],
            )
            for a, b, pk in cursor.fetchall():
                cache[(a, b)] = pk


def write_batch(rows: list[list], places: PlaceCache, scope_paths: tuple[str, ...] | None) -> tuple[int, int, int, list[int]]:
    """Write validated rows; (created, updated, unchanged, row numbers refused because
    the person is a current resident outside the importer's scope)."""
    with transaction.atomic():
        links = places.resolve(rows)
        if connection.vendor == "postgresql":
            return _upsert_postgresql(rows, links, scope_paths)
        return _upsert_portable(rows, links, scope_paths)


def _resident_values(row: list, link: tuple) -> tuple:
    return (
        row[R_GRID], link[0], link[1], row[R_NAME], row[R_GENDER], row[R_BIRTH], row[R_ID_CIPHER], row[R_ID_HASH],
        row[R_ID_MASK], row[R_PHONE_CIPHER], row[R_PHONE_HASH], row[R_PHONE_MASK], row[R_ETHNICITY], row[R_TYPE],
        row[R_ADDRESS], row[R_RELATION], row[R_MOVED_IN],
    )


def _in_scope(path: str, scope_paths) -> bool:
    return scope_paths is None or any(path.startswith(prefix) for prefix in scope_paths)


_STAGE = "residents_import_stage"
_TEXT_COLUMNS = ("name", "gender", "id_hash", "id_mask", "phone_hash", "phone_mask", "ethnicity", "residence_type",
                 "registered_address", "relation_to_head")


def _copy_values(rows, links) -> list[list]:
    """Each row's resident columns as COPY (CSV) wants them: bytea in hex."""
    encoded = []
    for row, link in zip(rows, links, strict=True):
        values = list(_resident_values(row, link))
        values[6] = "\\x" + values[6].hex()
        values[9] = "\\x" + values[9].hex()
        encoded.append(values)
    return encoded


def _csv_buffer(lines) -> io.StringIO:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    buffer.seek(0)
    return buffer


def _upsert_postgresql(rows, links, scope_paths):
    encoded = _copy_values(rows, links)
    columns = ", ".join(RESIDENT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM residents_resident WHERE id_hash = ANY(%s) LIMIT 1", [[row[R_ID_HASH] for row in rows]])
        if cursor.fetchone() is None and _copy_new_rows(cursor, encoded):
            return len(rows), 0, 0, []
        buffer = _csv_buffer([row[R_LINE], *values] for row, values in zip(rows, encoded, strict=True))
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (line integer, grid_id bigint, room_id bigint, household_id bigint, "
            "name text, gender text, birth_date date, id_cipher bytea, id_hash text, id_mask text, phone_cipher bytea, "
            "phone_hash text, phone_mask text, ethnicity text, residence_type text, registered_address text, "
            "relation_to_head text, moved_in_on date) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")  # a batch inside an outer transaction (tests) starts empty too
        cursor.cursor.copy_expert(
            f"COPY {_STAGE} (line, {columns}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))", buffer
        )
        refused = []
        if scope_paths is not None:
            # A current resident of a grid outside the importer's scope is not theirs to change.
            inside = " OR ".join(["a.path LIKE %s"] * len(scope_paths)) or "FALSE"
            cursor.execute(
                f"SELECT s.line FROM {_STAGE} s JOIN residents_resident r ON r.id_hash = s.id_hash "
                f"JOIN grids_area a ON a.id = r.grid_id WHERE r.moved_out_on IS NULL AND NOT ({inside})",
                [f"{path}%" for path in scope_paths],
            )
            refused = [line for (line,) in cursor.fetchall()]
            if refused:
                cursor.execute(f"DELETE FROM {_STAGE} WHERE line = ANY(%s)", [refused])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in RESIDENT_COLUMNS if c != "id_hash")
        compared = ", ".join(f"r.{c}" for c in COMPARED_COLUMNS)
        compared_new = ", ".join(f"EXCLUDED.{c}" for c in COMPARED_COLUMNS)
        cursor.execute(
            f"WITH up AS (INSERT INTO residents_resident AS r ({columns}, created_at, updated_at) "
            f"SELECT {columns}, now(), now() FROM {_STAGE} "
            f"ON CONFLICT (id_hash) DO UPDATE SET {updates}, updated_at = now(), "
            # Imported into another grid: the person moved there, so the record is current again.
            "moved_out_on = CASE WHEN r.grid_id = EXCLUDED.grid_id THEN r.moved_out_on END "
            f"WHERE ({compared}) IS DISTINCT FROM ({compared_new}) "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"
        )
        created, updated = cursor.fetchone()
    return created, updated, len(rows) - len(refused) - created - updated, refused


def _copy_new_rows(cursor, encoded) -> bool:
    """COPY a batch of people not in the table yet straight into it (no staging);
    False when a concurrent import added one of them meanwhile."""
    now = timezone.now().isoformat()
    buffer = _csv_buffer([*values, now, now] for values in encoded)
    try:
        with transaction.atomic():
            cursor.cursor.copy_expert(
                f"COPY residents_resident ({', '.join(RESIDENT_COLUMNS)}, created_at, updated_at) FROM STDIN "
                f"WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(_TEXT_COLUMNS)}))", buffer
            )
    except IntegrityError:
        return False
    return True


def _upsert_portable(rows, links, scope_paths):
    existing = {
        values["id_hash"]: values
        for values in Resident.objects.filter(id_hash__in=[row[R_ID_HASH] for row in rows]).values(
            *COMPARED_COLUMNS, "id_hash", "moved_out_on", "grid__path"
        )
    }
    refused, write, created, unchanged = [], [], 0, 0
    for row, link in zip(rows, links, strict=True):
        values = dict(zip(RESIDENT_COLUMNS, _resident_values(row, link), strict=True))
        old = existing.get(row[R_ID_HASH])
        if old is None:
            created += 1
            write.append(Resident(**values))
            continue
        if old["moved_out_on"] is None and not _in_scope(old["grid__path"], scope_paths):
            refused.append(row[R_LINE])
            continue
        if all(old[column] == values[column] for column in COMPARED_COLUMNS):
            unchanged += 1
            continue
        values["moved_out_on"] = old["moved_out_on"] if old["grid_id"] == values["grid_id"] else None
        write.append(Resident(**values))
    Resident.objects.bulk_create(
        write, batch_size=1000, update_conflicts=True, unique_fields=["id_hash"],
        update_fields=[c for c in RESIDENT_COLUMNS if c != "id_hash"] + ["moved_out_on", "updated_at"],
    )
    return created, len(write) - created, unchanged, refused


# --- The error report ------------------------------------------------------------------------


class ErrorReport:
    """The bad rows with their original cells plus row number, column and reason,
    written to a streamed .xlsx as they come."""

    def __init__(self, header: list[str]):
        self.header = header
        self.workbook = None
        self.count = 0
        self.sample: list[dict] = []

    def add(self, raw: list, errors: list[RowError]) -> None:
        if self.workbook is None:
            self.workbook = Workbook(write_only=True)
            self.sheet = self.workbook.create_sheet("错误")
            self.sheet.append([safe_cell(h) for h in self.header if h not in ERROR_HEADERS] + ERROR_HEADERS)
        self.count += 1
        for error in errors:
            if len(self.sample) < SAMPLE_ERRORS:
                self.sample.append({"row": error.row, "column": error.column, "reason": error.reason})
        cells = [safe_cell(_text(cell)) for cell, name in zip(raw, self.header, strict=False) if name not in ERROR_HEADERS]
        cells += [""] * (len([h for h in self.header if h not in ERROR_HEADERS]) - len(cells))
        self.sheet.append(cells + [errors[0].row, "、".join(dict.fromkeys(e.column for e in errors)), "；".join(e.reason for e in errors)])

    def save(self) -> File | None:
        if self.workbook is None:
            return None
        handle = tempfile.TemporaryFile(suffix=".xlsx")
        self.workbook.save(handle)
        handle.seek(0)
        return File(handle)


# --- The import ---------------------------------------------------------------------------------


def import_file(*, actor, path, upgrade_ids: bool = False, on_progress=None) -> tuple[ImportResult, ErrorReport]:
    """Import one file as ``actor`` (``None``: the system, whole tree). Raises
    ``ImportFileError`` when the file as a whole cannot be read; otherwise every row is
    imported or reported."""
    header, rows = read_table(path)
    positions = column_positions(header)
    validator = RowValidator(actor=actor, positions=positions, upgrade_ids=upgrade_ids)
    scope = user_scope(actor) if actor is not None else None
    scope_paths = None if scope is None or scope.is_global else scope.area_paths
    places = PlaceCache()
    report = ErrorReport(header)
    result = ImportResult()
    batch: list[list] = []
    originals: dict[int, list] = {}
    batch_size = settings.RESIDENT_IMPORT_BATCH

    def flush():
        created, updated, unchanged, refused = write_batch(batch, places, scope_paths)
        result.created += created
        result.updated += updated
        result.unchanged += unchanged
        for line in sorted(refused):
            report.add(originals[line], [RowError(line, "公民身份号码", _("this person is registered as living in a grid outside your area"))])
        batch.clear()
        originals.clear()
        if on_progress is not None:
            on_progress(result, report)

    for number, raw in rows:
        if not any(cell not in (None, "") and str(cell).strip() for cell in raw):
            continue
        result.rows += 1
        values, errors = validator.validate(number, raw)
        if errors:
            report.add(raw, errors)
            continue
        batch.append(values)
        originals[number] = raw
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    if result.rows == 0:
        raise ImportFileError(_("The file has headers but no rows."))
    result.errors = report.count
    result.error_sample = report.sample
    return result, report


def template_workbook() -> bytes:
    """The blank template (.xlsx): the headers, and a sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "实有人口"
    sheet.append(HEADERS)
    for letter in ("D", "E", "I"):
        for cell in sheet[letter][1:1000]:
            cell.number_format = "@"
    sheet.column_dimensions["D"].width = 22
    help_sheet = workbook.create_sheet("说明")
    help_sheet.append(["列", "必填", "说明"])
    for header, required, note in TEMPLATE_NOTES:
        help_sheet.append([header, "是" if required else "", note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE_NOTES = [
    ("姓名", True, "最多 50 字"),
    ("性别", False, "男 / 女；与身份证号第 17 位一致，可不填"),
    ("出生日期", False, "1980-01-31；与身份证号一致，可不填"),
    ("公民身份号码", True, "18 位（末位可为 X）或 15 位旧号；请设为文本格式"),
    ("联系电话", False, "11 位手机号或带区号的固定电话"),
    ("民族", False, "如 汉族"),
    ("人员类型", False, "户籍 / 流动 / 寄住 / 境外 / 未落户；默认户籍"),
    ("户籍地址", False, ""),
    ("网格编码", True, "须为您管辖范围内的网格"),
    ("楼栋", False, "如 3栋；不存在时自动建立"),
    ("单元", False, "如 1单元"),
    ("房号", False, "如 301；填写房号须填楼栋"),
    ("户号", False, "同一网格内的户号相同即为同一户"),
    ("与户主关系", False, "户主 / 配偶 / 子女 / 父母 / 其他"),
    ("入住日期", False, "2020-05-01"),
]


# --- The import job (page, API, command, Celery task) ----------------------------------------

STALE_AFTER = datetime.timedelta(minutes=10)


def resident_import_start(*, actor, upload, name: str, upgrade_ids: bool = False, language: str = "zh-hans",
                          run_inline: bool | None = None) -> ResidentImport:
    """Record an import of ``upload`` (a Django ``File``) and run it: inline when the
    file is small (or ``run_inline``), otherwise in the Celery worker once this
    transaction commits."""
    from residents.tasks import resident_import_task

    job = ResidentImport(created_by=actor, original_name=name[:200], upgrade_ids=upgrade_ids, language=language)
    job.file.save(name, upload, save=False)
    job.save()
    if run_inline is None:
        run_inline = job.file.size <= settings.RESIDENT_IMPORT_INLINE_BYTES
    if run_inline:
        resident_import_run(import_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: resident_import_task.delay(job.pk))
    return job


def _claim(import_id: int) -> ResidentImport | None:
    """Mark the job running unless it is finished or running elsewhere (so a task
    delivered twice runs once); a job whose runner went silent is taken over."""
    with transaction.atomic():
        job = ResidentImport.objects.select_for_update().filter(pk=import_id).first()
        if job is None or job.is_finished:
            return None
        now = timezone.now()
        if job.status == ImportStatus.RUNNING and job.heartbeat_at and now - job.heartbeat_at < STALE_AFTER:
            return None
        job.status = ImportStatus.RUNNING
        job.started_at = job.heartbeat_at = now
        job.save(update_fields=["status", "started_at", "heartbeat_at"])
        return job


def resident_import_run(*, import_id: int) -> None:
    job = _claim(import_id)
    if job is None:
        return
    actor = job.created_by
    ResidentImport.objects.filter(pk=job.pk).update(total_rows=count_rows(job.file.path))

    def progress(result: ImportResult, report: ErrorReport):
        ResidentImport.objects.filter(pk=job.pk).update(
            rows=result.rows, created=result.created, updated=result.updated, unchanged=result.unchanged,
            errors=report.count, heartbeat_at=timezone.now(),
        )

    with translation.override(job.language):
        try:
            result, report = import_file(actor=actor, path=job.file.path, upgrade_ids=job.upgrade_ids, on_progress=progress)
        except ImportFileError as error:
            job.status, job.message, job.finished_at = ImportStatus.FAILED, str(error), timezone.now()
            job.save(update_fields=["status", "message", "finished_at"])
            return
        except Exception:
            logger.exception("resident import %s failed", job.pk)
            job.status, job.finished_at = ImportStatus.FAILED, timezone.now()
            job.message = _("The import stopped because of an internal error; the rows written so far stay. Try again or ask an administrator.")
            job.save(update_fields=["status", "message", "finished_at"])
            raise
    error_file = report.save()
    if error_file is not None:
        job.error_file.save(f"import-{job.pk}-errors.xlsx", error_file, save=False)
    job.status, job.finished_at = ImportStatus.DONE, timezone.now()
    job.rows, job.created, job.updated, job.unchanged = result.rows, result.created, result.updated, result.unchanged
    job.errors, job.error_sample = result.errors, result.error_sample
    job.save(update_fields=["status", "finished_at", "rows", "created", "updated", "unchanged", "errors", "error_sample", "error_file"])
