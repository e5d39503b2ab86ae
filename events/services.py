"""Writes of the case record: a new event's draft (its input checked, its grid from the
location, the duplicate hint), the day's event numbers, tracking codes and attachments.

Filing itself is the machine's first transition (``report`` / ``report_onsite``), fired
by the one entry point in ``workflow.services`` (``event_file``), which uses the steps
here; this module, like every module of the events domain, knows nothing of the workflow
(tests/events/test_import_direction.py)."""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import area_is_visible, user_scope
from events import selectors
from events.attachments import EXTENSIONS, attachment_check, thumbnail_of
from events.models import TEXT_LIMITS, Attachment, AttachmentStage, Category, Channel, Event, EventSequence, State, Urgency
from events.reporter import reporter_fields
from governance.cache import Derived
from governance.prepared import Prepared
from governance.rows import row_insert, rows_computable
from grids.models import GRID_LEVELS, Area
from grids.spatial import grid_id_at

# Days whose code sequence this process has seen committed (PostgreSQL).
_known_days: set = set()


class DaySequenceMissing(Exception):
    """The day's sequence this process knew is gone (a database restored or flushed under
    it): the filing is rolled back and may be tried again, which creates it."""


def event_code_days_forget() -> None:
    """Forget which days' sequences exist (tests, whose transactions roll them back)."""
    _known_days.clear()


def event_code_next(day: date) -> str:
    """The next code of the day, e.g. ``20261122-000017``: unique and increasing per day.

    On PostgreSQL each day has its own sequence (``event_code_YYYYMMDD``, created on
    first use and started after the day's highest code), so concurrent filings never
    wait for one another for their number: a rolled-back filing leaves a gap in the day's
    numbers. Elsewhere (SQLite, one writer at a time) a counter row per day."""
    if connection.vendor != "postgresql":
        table = connection.ops.quote_name(EventSequence._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
                f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
                [day],
            )
            number = cursor.fetchone()[0]
        return f"{day:%Y%m%d}-{number:06d}"
    name = _day_sequence(day)
    with connection.cursor() as cursor:
        try:
            cursor.execute("SELECT nextval(%s)", [name])
        except ProgrammingError as error:
            if not _undefined(error):
                raise
            _known_days.discard(day)
            raise DaySequenceMissing(name) from error
        number = cursor.fetchone()[0]
    return f"{day:%Y%m%d}-{number:06d}"


# The day's next code computed by the event's INSERT itself (PostgreSQL), as
# ``event_code_next`` writes it (at least six digits): no round trip of its own.
_CODE_IN_INSERT = "SELECT %s || lpad(n::text, greatest(6, length(n::text)), '0') FROM nextval(%s) AS n"


def event_insert_numbered(event: Event, day: date) -> Event:
    """Insert the new ``event`` with the next code of ``day`` (``event_code_next``); on
    PostgreSQL the number is taken by the INSERT, in the same statement."""
    if not rows_computable(event):
        event.code = event_code_next(day)
        return row_insert(event)
    name = _day_sequence(day)
    try:
        return row_insert(event, computed={"code": (_CODE_IN_INSERT, [f"{day:%Y%m%d}-", name])})
    except ProgrammingError as error:
        if not _undefined(error):  # (the sequence is the one relation the INSERT names by text)
            raise
        _known_days.discard(day)
        raise DaySequenceMissing(name) from error


def _undefined(error) -> bool:
    """A relation missing (SQLSTATE 42P01), not another error of its class (a permission)."""
    return getattr(error.__cause__, "pgcode", None) == "42P01" or getattr(error.__cause__, "sqlstate", None) == "42P01"


def _day_sequence(day: date) -> str:
    """The name of the day's sequence, created first unless this process knows it exists."""
    name = f"event_code_{day:%Y%m%d}"
    if day not in _known_days:
        with connection.cursor() as cursor:
            _day_sequence_create(cursor, name, day)
    return name


def _day_sequence_create(cursor, name: str, day: date) -> None:
    """Create the day's sequence if it is missing, starting after the day's highest code
    (codes written before it, e.g. by the counter rows or a generated city)."""
    prefix = f"{day:%Y%m%d}-"
    # (By number: past 999999 the codes grow a digit, and as text "-999999" sorts after "-1000000".)
    cursor.execute("SELECT max(split_part(code, '-', 2)::bigint) FROM events_event WHERE code >= %s AND code < %s",
                   [prefix, f"{day:%Y%m%d}."])
    highest = cursor.fetchone()[0]
    start = highest + 1 if highest else 1
    try:
        with transaction.atomic():  # a savepoint, rolled back alone when the creation collides
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {start} MINVALUE 1")
    except IntegrityError:
        pass  # another filing created it at the same moment (PostgreSQL's catalogue refused the second)
    # Remembered only once committed: a rolled-back creation leaves no sequence behind.
    transaction.on_commit(lambda: _known_days.add(day))


# Tracking codes avoid letters and digits that people confuse when they type them (0/O, 1/I/L).
_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def tracking_code_new() -> str:
    """A random code such as ``K7QM-3PXA-9RTW`` (60 bits): it cannot be guessed from
    another report's code, unlike the event number."""
    raw = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# The catalogue's small classes and the grids, read by every filing, kept in memory until
# a category or an area changes (events.apps).
CATALOGUE = Derived("catalogue")


def _category(category) -> Category:
    if isinstance(category, Category):
        chosen = category
    else:
        # An int is a primary key, a string a category code (codes are digits too).
        lookup = {"pk": category} if isinstance(category, int) else {"code": str(category)}
        chosen = CATALOGUE.get(("category", *lookup.items()), lambda: Category.objects.filter(**lookup).first())
    if chosen is None or not chosen.is_active:
        raise ValidationError({"category": _("Choose a category from the list.")})
    if not chosen.is_small_class:
        raise ValidationError({"category": _("Choose a small class, not a big class.")})
    return chosen


# Every area's row but its boundary, read in one statement into the catalogue's memory: a
# city's filings and transitions are spread over thousands of grids, and read one by one
# each process met most of them for the first time (a web worker is replaced every 2,000
# requests), one statement each. Measured on the benchmark city's 1,097 areas: 8–9 ms to
# read, 0.95 MB held; for 15,000 grids, scaled (not measured), ~0.13 s a minute and ~14 MB.
_AREA_COLUMNS = [field.attname for field in Area._meta.concrete_fields if field.name != "boundary"]
_AREA = Prepared(lambda pk: Area.objects.defer("boundary").filter(pk=pk))  # one created since the rows were read


def _area_rows() -> dict:
    return {row[0]: row for row in Area.objects.order_by().values_list(*_AREA_COLUMNS)}


def _area_cached(pk: int) -> Area:
    """The area (without its boundary) from the catalogue's memory, or read; a new
    instance, which the caller may change."""
    if CATALOGUE.changing():  # areas changed in this transaction: this one, not all of them again
        return _AREA.get(pk)
    row = CATALOGUE.get(("areas",), _area_rows).get(pk)
    if row is None:  # (one written without a signal since the rows were read, or none)
        return _AREA.get(pk)
    return Area.from_db("default", _AREA_COLUMNS, row)


def event_relations_cached(event: Event) -> None:
    """Give ``event`` (read without them) its grid, command center and category from the
    catalogue's memory (read when missing): the transition entry point locks the bare
    row and takes these here instead of joining three tables on every transition."""
    event.grid = _area_cached(event.grid_id) if event.grid_id is not None else None
    event.command_area = _area_cached(event.command_area_id) if event.command_area_id is not None else None
    event.category = CATALOGUE.get(("category", ("pk", event.category_id)),
                                   lambda: Category.objects.filter(pk=event.category_id).first())


def _grid(*, actor, grid, latitude, longitude) -> Area:
    if grid is not None:
        grid_id = getattr(grid, "pk", grid)
        chosen = Area.objects.filter(pk=grid_id).first() if str(grid_id).isdigit() else None
        if chosen is None or chosen.level not in GRID_LEVELS:
            raise ValidationError({"grid": _("Choose a grid.")})
    else:
        if latitude is None or longitude is None:
            raise ValidationError({"location": _("Give the location on the map or choose the grid.")})
        grid_id = grid_id_at(lat=latitude, lon=longitude)
        if grid_id is None:
            raise ValidationError({"location": _("This location lies outside every grid of the city.")})
        chosen = _area_cached(int(grid_id))
    # Staff file in the grids they serve; residents and integrators anywhere.
    if actor is not None and _is_staff_filer(actor) and not area_is_visible(actor, chosen):
        raise ValidationError({"grid": _("This place lies outside the grids you serve.")})
    return chosen


def _is_staff_filer(actor) -> bool:
    return bool(user_scope(actor).area_paths)


def _check_extra(category: Category, extra: dict) -> dict:
    """Validate the small class's extra fields (Open311 attributes)."""
    extra = dict(extra or {})
    errors = {}
    for spec in category.extra_fields:
        code = spec["code"]
        value = extra.get(code)
        if spec.get("required") and value in (None, "", []):
            errors[f"extra.{code}"] = _("%(field)s is required.") % {"field": spec.get("description") or code}
            continue
        allowed = {str(item["key"]) for item in spec.get("values", [])}
        if value not in (None, "") and allowed:
            values = value if isinstance(value, list) else [value]
            if any(str(item) not in allowed for item in values):
                errors[f"extra.{code}"] = _("%(field)s has a value that is not in the list.") % {"field": spec.get("description") or code}
    if errors:
        raise ValidationError(errors)
    return extra


def _check_lengths(**texts) -> None:
    too_long = {name: _("At most %(limit)d characters (this has %(length)d).") % {"limit": TEXT_LIMITS[name], "length": len(value)}
                for name, value in texts.items() if value and len(value) > TEXT_LIMITS[name]}
    if too_long:
        raise ValidationError(too_long)

@dataclass
class Draft:
    """A new event checked and filled in, not saved: the record (without its state,
    number and command center, which filing gives it) and its checked files."""

    event: Event
    report_files: list = field(default_factory=list)
    onsite_files: list = field(default_factory=list)


def event_by_idempotency_key(*, actor, key: str | None) -> Event | None:
    """The event this reporter filed with ``key`` (keys are unique per reporter: another
    client's use of the same key is neither found nor revealed)."""
    if not key:
        return None
    return Event.objects.filter(idempotency_key=key, reporter=actor).first()


def event_draft(*, actor, channel: str, category, description: str, latitude: float | None = None,
                longitude: float | None = None, grid=None, address: str = "", urgency: str = Urgency.NORMAL,
                attachments=(), idempotency_key: str | None = None, resolved_on_site: bool = False, result: str = "",
                onsite_attachments=(), reporter_name: str = "", reporter_contact: str = "", extra=None,
                reported_at=None) -> Draft:
    """Check what a reporter sends and make the event's record from it (not saved):
    ``ValidationError`` with the fields at fault. The grid comes from the location (a
    staff reporter only in the grids they serve); a near open event of the same small
    class is noted as a possible duplicate; files are checked by their content.

    ``resolved_on_site`` (就地解决) records the result and the grid worker as handler."""
    _check_lengths(description=description, result=result, address=address, reporter_name=reporter_name,
                   reporter_contact=reporter_contact)
    category = _category(category)
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Describe the problem.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Unknown urgency.")})
    if resolved_on_site:
        if not category.onsite_allowed:
            raise ValidationError({"resolved_on_site": _("Events of this category cannot be resolved on site.")})
        if actor is None:
            raise ValidationError({"resolved_on_site": _("Only staff can report an event as resolved on site.")})
        if not result.strip():
            raise ValidationError({"result": _("Describe what was done on site.")})
    grid = _grid(actor=actor, grid=grid, latitude=latitude, longitude=longitude)
    extra = _check_extra(category, extra)
    checked = [attachment_check(upload) for upload in attachments]
    checked_after = [attachment_check(upload) for upload in onsite_attachments]
    if len(checked) + len(checked_after) > settings.EVENT_ATTACHMENT_MAX_COUNT:
        raise ValidationError({"attachments": _("At most %(count)d files per report.") % {"count": settings.EVENT_ATTACHMENT_MAX_COUNT}})
    now = reported_at or timezone.now()
    event = Event(
        channel=channel, reporter=actor, **reporter_fields(name=reporter_name, contact=reporter_contact), grid=grid,
        address=address[:200], latitude=latitude, longitude=longitude, category=category, urgency=urgency,
        description=description, extra=extra, state="", is_onsite=resolved_on_site, reported_at=now,
        idempotency_key=idempotency_key or None,
        # Residents on the public page follow their report with a code (no account).
        tracking_code=tracking_code_new() if channel == Channel.RESIDENT else None,
    )
    if resolved_on_site:
        event.handler = actor
        event.result = result.strip()
        event.handled_at = now
    candidate = selectors.duplicate_candidate(event)
    event.duplicate_of_id = candidate[0] if candidate else None
    if candidate:
        # Whom the hint may be shown to is decided from this row (the reporter and the
        # grid's path), without reading the event again for the answer.
        pk, reporter_id, path = candidate
        event.related_seen_as = {pk: (reporter_id, path)}
    return Draft(event, checked, checked_after)


def event_draft_files_store(draft: Draft) -> list[Attachment]:
    """Store a filed draft's files (the event is saved)."""
    return (attachments_store(draft.event, draft.event.reporter, draft.report_files, AttachmentStage.REPORT)
            + attachments_store(draft.event, draft.event.reporter, draft.onsite_files, AttachmentStage.ONSITE))


def attachments_store(event, actor, checked, stage) -> list[Attachment]:
    """Save checked files (``attachment_check``) of ``event``, with a thumbnail of each image."""
    saved = []
    for item in checked:
        extension = EXTENSIONS[item.content_type]
        stem = uuid.uuid4().hex
        attachment = Attachment(event=event, stage=stage, original_name=item.name[:200], content_type=item.content_type,
                                size=len(item.content), is_image=item.is_image, uploaded_by=actor)
        attachment.file.save(f"{stem}{extension}", ContentFile(item.content), save=False)
        if item.is_image:
            attachment.thumbnail.save(f"{stem}-thumb.jpg", thumbnail_of(item.content), save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def attachments_add(*, event, actor, files, stage: str) -> list[Attachment]:
    """Add files to an event (inside a transition). Archived dossiers are frozen."""
    if event.state == State.ARCHIVED:
        raise ValidationError(_("The dossier is archived and can no longer change."))
    checked = [attachment_check(upload) for upload in files]
    return attachments_store(event, actor, checked, stage)
