"""Writing validated rows in batches, one transaction each (docs/residents.md, *Inside*).

Buildings, units, rooms and households are upserted on their natural keys (a bounded
cache of ids spares the lookups), then residents on the keyed hash of the ID number.
On PostgreSQL a batch of people not in the table yet is ``COPY``-ed straight into it;
a batch with people already there goes through a temporary staging table and one
``INSERT … ON CONFLICT (id_hash) DO UPDATE`` that touches only the new and the changed
rows. Elsewhere (SQLite) ``bulk_create``.
"""

import io
from itertools import chain, repeat
from operator import itemgetter

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from residents.imports.validation import (
    _COPY_ESCAPES,
    _COPY_UNSAFE,
    COPY_NULL,
    R_ADDRESS,
    R_BIRTH,
    R_BUILDING,
    R_COPY,
    R_ETHNICITY,
    R_GENDER,
    R_GRID,
    R_HOUSEHOLD,
    R_ID_CIPHER,
    R_ID_HASH,
    R_ID_MASK,
    R_LINE,
    R_MOVED_IN,
    R_NAME,
    R_PHONE_CIPHER,
    R_PHONE_HASH,
    R_PHONE_MASK,
    R_RELATION,
    R_ROOM,
    R_TYPE,
    R_UNIT,
    copy_tail,
)
from residents.models import Building, Household, Resident, Room, Unit

_CACHE_LIMIT = 200_000
# Resident columns written, in the order of the staging table.
RESIDENT_COLUMNS = (
    "grid_id", "room_id", "household_id", "name", "gender", "birth_date", "id_cipher", "id_hash", "id_mask",
    "phone_cipher", "phone_hash", "phone_mask", "ethnicity", "residence_type", "registered_address", "relation_to_head",
    "moved_in_on",
)
# Columns whose change makes a row "updated" (the ciphers change with every encryption).
COMPARED_COLUMNS = tuple(c for c in RESIDENT_COLUMNS if c not in ("id_cipher", "phone_cipher", "id_hash"))


_PLACE = itemgetter(R_GRID, R_BUILDING, R_UNIT, R_ROOM, R_HOUSEHOLD)
# The resident columns each column of the file writes (gender and birth date come from the
# ID number): a column the file does not have keeps what is stored of the people there
# already — a list of names and ID numbers must not blank their phones or take them out
# of their rooms. (An empty cell in a column the file has clears the value.)
_WRITTEN_BY = {
    "phone": ("phone_cipher", "phone_hash", "phone_mask"), "ethnicity": ("ethnicity",),
    "residence_type": ("residence_type",), "registered_address": ("registered_address",),
    "household": ("household_id",), "relation_to_head": ("relation_to_head",), "moved_in_on": ("moved_in_on",),
    # A room is its 房号 in its building (and unit): without 房号 a file names no room, so
    # 楼栋 alone (or with 单元) leaves the people's rooms as they are.
    "room": ("room_id",),
}


# Kept only while the person stays in the grid: another grid's room or household is not theirs.
_GRID_BOUND = frozenset({"room_id", "household_id"})


def kept_columns(positions: dict[str, int]) -> frozenset[str]:
    """The resident columns an import of a file with these columns leaves as stored."""
    return frozenset(column for key, columns in _WRITTEN_BY.items() if key not in positions for column in columns)


class PlaceCache:
    """Ids of buildings, units, rooms and households by natural key, created when
    missing. One or two queries per batch and kind; bounded in size. Also what the
    last batches found, to pick the cheaper way for the next."""

    def __init__(self):
        self.buildings: dict[tuple, int] = {}
        self.units: dict[tuple, int] = {}
        self.rooms: dict[tuple, int] = {}
        self.households: dict[tuple, int] = {}
        # Per model: whether most keys looked up last time existed (a re-import): then
        # look them up before inserting, rather than after.
        self.mostly_existing: dict = {}
        # Whether most residents of the last batch were in the table already.
        self.residents_existing = False

    def resolve(self, rows: list[list]) -> list[tuple[int | None, int | None]]:
        """(room id, household id) for each row, creating what is missing. Works on
        the batch's distinct places (a household's members share one), not its rows."""
        row_places = list(map(_PLACE, rows))
        places = list(dict.fromkeys(row_places))  # (grid, building, unit, room, household)
        building_keys = {(grid, building) for grid, building, _u, _r, _h in places if building}
        self._ensure(self.buildings, Building, ("grid_id", "name"), dict.fromkeys(building_keys, {}))
        buildings, units, rooms, households = self.buildings, self.units, self.rooms, self.households
        unit_keys = {(buildings[(grid, building)], unit) for grid, building, unit, _r, _h in places if building}
        self._ensure(self.units, Unit, ("building_id", "name"), dict.fromkeys(unit_keys, {}))
        room_wanted = {}
        for grid, building, unit, room, _h in places:
            if room:
                building_id = buildings[(grid, building)]
                room_wanted[(units[(building_id, unit)], room)] = {"building_id": building_id}
        self._ensure(self.rooms, Room, ("unit_id", "number"), room_wanted)
        room_ids = [rooms[(units[(buildings[(grid, building)], unit)], room)] if room else None
                    for grid, building, unit, room, _h in places]
        household_wanted = {(place[0], place[4]): {"room_id": room_id} for place, room_id in zip(places, room_ids, strict=True)
                            if place[4]}
        self._ensure(self.households, Household, ("grid_id", "number"), household_wanted)
        links = {
            place: (room_id, households[(place[0], place[4])] if place[4] else None)
            for place, room_id in zip(places, room_ids, strict=True)
        }
        return list(map(links.__getitem__, row_places))

    def _ensure(self, cache: dict, model, key_fields: tuple[str, str], wanted: dict[tuple, dict]) -> None:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()  # before computing what is missing: the batch's keys are read back below
        missing = [key for key in wanted if key not in cache]
        if not missing:
            return
        first, second = key_fields
        if connection.vendor == "postgresql":
            existing = _ensure_postgresql(cache, model, missing, wanted, select_first=self.mostly_existing.get(model, False))
            self.mostly_existing[model] = existing * 2 > len(missing)
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


def _ensure_postgresql(cache: dict, model, missing: list[tuple], wanted: dict[tuple, dict], *, select_first: bool) -> int:
    """Insert the missing natural keys (ON CONFLICT DO NOTHING) and read the ids of all
    of them: two statements for any number of keys, looking up before inserting when
    ``select_first``. How many existed already."""
    first, second, extra, constant_columns, constants = _PLACE_INSERTS[model]
    table = model._meta.db_table
    columns = ", ".join([first, second] + ([extra] if extra else []) + list(constant_columns))
    values = ", ".join(["k.a", "k.b"] + (["k.x"] if extra else []) + ([constants] if constants else []))
    existing = 0
    with connection.cursor() as cursor:

        def look_up(keys):
            cursor.execute(
                f"SELECT t.{first}, t.{second}, t.id FROM {table} t JOIN unnest(%s::bigint[], %s::text[]) AS k(a, b) "
                f"ON t.{first} = k.a AND t.{second} = k.b",
                [[key[0] for key in keys], [key[1] for key in keys]],
            )
            for a, b, pk in cursor.fetchall():
                cache[(a, b)] = pk
            return cursor.rowcount

        if select_first:
            existing = look_up(missing)
            missing = [key for key in missing if key not in cache]
            if not missing:
                return existing
        elif _copy_new_places(cursor, cache, model, missing, wanted):
            return 0
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {values} FROM unnest(%s::bigint[], %s::text[], %s::bigint[]) AS k(a, b, x) "
            f"ON CONFLICT DO NOTHING RETURNING {first}, {second}, id",
            [[key[0] for key in missing], [key[1] for key in missing],
             [wanted[key].get(extra) for key in missing] if extra else [None] * len(missing)],
        )
        for a, b, pk in cursor.fetchall():
            cache[(a, b)] = pk
        rest = [key for key in missing if key not in cache]
        if rest:
            existing += look_up(rest)
    return existing


# The constant columns (_PLACE_INSERTS) of a new row as COPY text.
_PLACE_COPY_CONSTANTS = {Building: ("", "", ""), Unit: ("", ""), Room: ("self", ""), Household: ()}


def _copy_new_places(cursor, cache: dict, model, missing: list[tuple], wanted: dict[tuple, dict]) -> bool:
    """When the keys are expected to be new (a first import): ids taken from the
    table's sequence and the rows ``COPY``-ed in — about half the database's work of
    the upsert. False, and nothing written, when one of them is there already (the
    COPY fails at once; a savepoint undoes it): then the upsert does it."""
    first, second, extra, constant_columns, _constants = _PLACE_INSERTS[model]
    table = model._meta.db_table
    # The sequence looked up once (a scalar subquery runs once): as the argument itself,
    # pg_get_serial_sequence ran its catalog lookup for every id, 9 times the cost of nextval.
    cursor.execute("SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id'))::regclass) FROM generate_series(1, %s)",
                   [table, len(missing)])
    ids = [pk for (pk,) in cursor.fetchall()]
    constants = _PLACE_COPY_CONSTANTS[model] + ((timezone.now().isoformat(),) if model is Building else ())
    tail = "".join("\t" + value for value in constants) + "\n"
    names = [key[1] for key in missing]
    if _COPY_UNSAFE.search("".join(names)):  # one look for the batch (per key it was a third of this function)
        names = [name.translate(_COPY_ESCAPES) for name in names]
    if extra:
        names = [f"{name}\t{COPY_NULL if value is None else value}"
                 for name, value in zip(names, [wanted[key].get(extra) for key in missing], strict=True)]
    lines = [f"{pk}\t{key[0]}\t{name}{tail}" for pk, key, name in zip(ids, missing, names, strict=True)]
    columns = ", ".join(["id", first, second] + ([extra] if extra else []) + list(constant_columns))
    try:
        with transaction.atomic(), connection.wrap_database_errors:  # psycopg2's error as Django's
            cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("".join(lines)), size=_COPY_READ)
    except IntegrityError:
        return False
    cache.update(zip(missing, ids, strict=True))
    return True


def write_batch(rows: list[list], places: PlaceCache, scope_paths: tuple[str, ...] | None, *,
                links: list[tuple] | None = None, kept: frozenset[str] = frozenset()) -> tuple[int, int, int, list[int], list[int]]:
    """Write validated rows; (created, updated, unchanged, row numbers refused because
    the person is a current resident outside the importer's scope, the grids people were
    moved out of into the rows' grids). ``links``: the
    rows' (room, household) ids when they were resolved (and committed) already;
    ``kept``: the columns left as stored for people already there (``kept_columns``)."""
    with transaction.atomic():
        if links is None:
            links = places.resolve(rows)
        if connection.vendor == "postgresql":
            return _upsert_postgresql(rows, links, scope_paths, places, kept)
        return _upsert_portable(rows, links, scope_paths, kept)


def _resident_values(row: list, link: tuple) -> tuple:
    return (
        row[R_GRID], link[0], link[1], row[R_NAME], row[R_GENDER], row[R_BIRTH], row[R_ID_CIPHER], row[R_ID_HASH],
        row[R_ID_MASK], row[R_PHONE_CIPHER], row[R_PHONE_HASH], row[R_PHONE_MASK], row[R_ETHNICITY], row[R_TYPE],
        row[R_ADDRESS], row[R_RELATION], row[R_MOVED_IN],
    )


def _in_scope(path: str, scope_paths) -> bool:
    return scope_paths is None or any(path.startswith(prefix) for prefix in scope_paths)


_STAGE = "residents_import_stage"
# The columns as COPY lines hold them: the ids known only when the batch is written first.
_COPY_COLUMNS = ", ".join(RESIDENT_COLUMNS[1:3] + RESIDENT_COLUMNS[:1] + RESIDENT_COLUMNS[3:])


# psycopg2 reads the buffer in pieces of this size, taking Python's lock for each; with
# its default (8 KB) the writing thread would queue for the lock behind the validating
# one (up to 5 ms each time) hundreds of times a batch.
_COPY_READ = 1 << 24


def _copy_lines(rows, links, end: str | None = None) -> io.StringIO:
    """The rows in COPY's text format, in the order of ``_COPY_COLUMNS``: the room's
    and household's ids (made once per distinct pair; a household's members share one)
    in front of the rest, which the validator made; then ``end`` (the timestamps) on
    every line, or without ``end`` the row number (the staging table)."""
    ids = {link: f"{COPY_NULL if link[0] is None else link[0]}\t{COPY_NULL if link[1] is None else link[1]}\t"
           for link in set(links)}
    tails = [row[R_COPY] if len(row) > R_COPY else copy_tail(row) for row in rows]
    ends = repeat(end) if end is not None else [f"\t{row[R_LINE]}\n" for row in rows]
    # One join of the pieces: joining lines made first by concatenation took ~5 times longer.
    return io.StringIO("".join(chain.from_iterable(zip(map(ids.__getitem__, links), tails, ends, strict=False))))  # ends may repeat


def _upsert_postgresql(rows, links, scope_paths, places: PlaceCache, kept: frozenset[str]):
    columns = ", ".join(RESIDENT_COLUMNS)
    with connection.cursor() as cursor:
        # A batch of people not in the table yet goes straight in; one of them there
        # already makes the COPY fail at once, and the batch goes through staging (and
        # so do the next ones while batches are mostly of people already there).
        if not places.residents_existing and _copy_new_rows(cursor, rows, links):
            return len(rows), 0, 0, [], []
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (line integer, grid_id bigint, room_id bigint, household_id bigint, "
            "name text, gender text, birth_date date, id_cipher bytea, id_hash bytea, id_mask text, phone_cipher bytea, "
            "phone_hash bytea, phone_mask text, ethnicity text, residence_type text, registered_address text, "
            "relation_to_head text, moved_in_on date) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {_STAGE}")  # a batch inside an outer transaction (tests) starts empty too
        cursor.cursor.copy_expert(f"COPY {_STAGE} ({_COPY_COLUMNS}, line) FROM STDIN", _copy_lines(rows, links), size=_COPY_READ)
        if any(len(row[R_ID_MASK]) == 15 for row in rows):
            # A 15-digit number of someone stored with the 18-character form: the same
            # person (one hash); the stored form stays.
            cursor.execute(
                f"UPDATE {_STAGE} s SET id_cipher = r.id_cipher, id_mask = r.id_mask FROM residents_resident r "
                "WHERE r.id_hash = s.id_hash AND length(s.id_mask) = 15 AND length(r.id_mask) = 18"
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
        # A room and a household belong to a grid: kept only while the person stays in theirs.
        updates = ", ".join(f"{c} = EXCLUDED.{c}" if c not in kept else
                            f"{c} = CASE WHEN r.grid_id = EXCLUDED.grid_id THEN r.{c} ELSE EXCLUDED.{c} END"
                            for c in RESIDENT_COLUMNS if c != "id_hash" and (c not in kept or c in _GRID_BOUND))
        staged = ", ".join(f"s.{c}" for c in RESIDENT_COLUMNS)
        compared_columns = [c for c in COMPARED_COLUMNS if c not in kept]
        compared = ", ".join(f"r.{c}" for c in compared_columns)
        compared_old = ", ".join(f"o.{c}" for c in compared_columns)
        compared_staged = ", ".join(f"s.{c}" for c in compared_columns)
        compared_new = ", ".join(f"EXCLUDED.{c}" for c in compared_columns)
        # Only the new and the changed rows reach the upsert: ON CONFLICT DO UPDATE locks
        # every conflicting row, even one its WHERE then leaves alone, and a re-import of
        # an unchanged file would rewrite the header of every row it names. The staged rows
        # are joined to the stored ones once (``pairs``), which also gives the grids people
        # leave for another (campaigns there follow too).
        cursor.execute(
            f"WITH pairs AS MATERIALIZED (SELECT s.*, o.grid_id AS old_grid, "
            f"o.id IS NULL OR ({compared_old}) IS DISTINCT FROM ({compared_staged}) AS differs "
            f"FROM {_STAGE} s LEFT JOIN residents_resident o ON o.id_hash = s.id_hash), "
            f"up AS (INSERT INTO residents_resident AS r ({columns}, created_at, updated_at) "
            f"SELECT {staged}, now(), now() FROM pairs s WHERE s.differs "
            f"ON CONFLICT (id_hash) DO UPDATE SET {updates}, updated_at = now(), "
            # Imported into another grid: the person moved there, so the record is current again.
            "moved_out_on = CASE WHEN r.grid_id = EXCLUDED.grid_id THEN r.moved_out_on END "
            f"WHERE ({compared}) IS DISTINCT FROM ({compared_new}) "
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT (SELECT count(*) FILTER (WHERE inserted) FROM up), (SELECT count(*) FILTER (WHERE NOT inserted) FROM up), "
            "ARRAY(SELECT DISTINCT old_grid FROM pairs WHERE old_grid <> grid_id)"
        )
        created, updated, left = cursor.fetchone()
    places.residents_existing = created * 2 < len(rows)
    return created, updated, len(rows) - len(refused) - created - updated, refused, left


def _copy_new_rows(cursor, rows, links) -> bool:
    """COPY a batch straight into the table (no staging); False, and nothing written,
    when one of its people is there already (a re-import, a concurrent import)."""
    now = timezone.now().isoformat()
    buffer = _copy_lines(rows, links, f"\t{now}\t{now}\n")
    try:
        with transaction.atomic(), connection.wrap_database_errors:  # psycopg2's error as Django's
            cursor.cursor.copy_expert(
                f"COPY residents_resident ({_COPY_COLUMNS}, created_at, updated_at) FROM STDIN", buffer, size=_COPY_READ
            )
    except IntegrityError:
        return False
    return True


def _upsert_portable(rows, links, scope_paths, kept: frozenset[str]):
    existing = {
        values["id_hash"]: values
        for values in Resident.objects.filter(id_hash__in=[row[R_ID_HASH] for row in rows]).values(
            *COMPARED_COLUMNS, "id_hash", "id_cipher", "phone_cipher", "moved_out_on", "grid__path"
        )
    }
    refused, write, created, unchanged, left = [], [], 0, 0, set()
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
        if len(values["id_mask"]) == 15 and len(old["id_mask"]) == 18:  # the same person; the stored form stays
            values["id_cipher"], values["id_mask"] = old["id_cipher"], old["id_mask"]
        for column in kept:
            if column not in _GRID_BOUND or old["grid_id"] == values["grid_id"]:
                values[column] = old[column]
        if all(old[column] == values[column] for column in COMPARED_COLUMNS):
            unchanged += 1
            continue
        values["moved_out_on"] = old["moved_out_on"] if old["grid_id"] == values["grid_id"] else None
        if old["grid_id"] != values["grid_id"]:
            left.add(old["grid_id"])
        write.append(Resident(**values))
    Resident.objects.bulk_create(
        write, batch_size=1000, update_conflicts=True, unique_fields=["id_hash"],
        update_fields=[c for c in RESIDENT_COLUMNS if c != "id_hash"] + ["moved_out_on", "updated_at"],
    )
    return created, len(write) - created, unchanged, refused, sorted(left)
