"""Writes for events: filing (the ``report`` and ``report_onsite`` transitions of the
machine) and attachments. Every later change goes through
``workflow.services.event_transition``."""

import secrets
import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import area_is_visible
from events import selectors
from events.attachments import EXTENSIONS, attachment_check, thumbnail_of
from events.models import TEXT_LIMITS, Attachment, AttachmentStage, Category, Channel, Event, EventSequence, Urgency
from events.reporter import reporter_fields
from grids.models import GRID_LEVELS, Area
from grids.spatial import grid_id_at
from workflow.machine import MACHINE, State
from workflow.models import Timer
from workflow.notifications import notify
from workflow.services import command_center_for, timeline_write
from workflow.timers import light_of, light_times, sla_limits, timers_build


def event_code_next(day: date) -> str:
    """The next code of the day, e.g. ``20261122-000017``. The counter row is locked
    until the filing commits, so codes are unique and gap-free per day; filing takes it
    as late as it can, so concurrent filings wait for each other only for their writes.
    One statement (an upsert returning the new value) on PostgreSQL and SQLite."""
    table = connection.ops.quote_name(EventSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [day],
        )
        number = cursor.fetchone()[0]
    return f"{day:%Y%m%d}-{number:06d}"


# Tracking codes avoid letters and digits that people confuse when they type them (0/O, 1/I/L).
_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def tracking_code_new() -> str:
    """A random code such as ``K7QM-3PXA-9RTW`` (60 bits): it cannot be guessed from
    another report's code, unlike the event number."""
    raw = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _category(category) -> Category:
    if isinstance(category, Category):
        chosen = category
    else:
        # An int is a primary key, a string a category code (codes are digits too).
        lookup = {"pk": category} if isinstance(category, int) else {"code": str(category)}
        chosen = Category.objects.filter(**lookup).first()
    if chosen is None or not chosen.is_active:
        raise ValidationError({"category": _("Choose a category from the list.")})
    if not chosen.is_small_class:
        raise ValidationError({"category": _("Choose a small class, not a big class.")})
    return chosen


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
        chosen = Area.objects.get(pk=grid_id)
    # Staff file in the grids they serve; residents and integrators anywhere.
    if actor is not None and _is_staff_filer(actor) and not area_is_visible(actor, chosen):
        raise ValidationError({"grid": _("This place lies outside the grids you serve.")})
    return chosen


def _is_staff_filer(actor) -> bool:
    from accounts.scoping import user_scope

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


def event_file(*, actor, channel: str, category, description: str, latitude: float | None = None,
               longitude: float | None = None, grid=None, address: str = "", urgency: str = Urgency.NORMAL,
               attachments=(), idempotency_key: str | None = None, resolved_on_site: bool = False, result: str = "",
               onsite_attachments=(), reporter_name: str = "", reporter_contact: str = "", extra=None,
               reported_at=None) -> tuple[Event, bool]:
    """File an event. Returns ``(event, created)``: a retried submission with the same
    ``idempotency_key`` returns the first event and ``created=False``.

    ``resolved_on_site`` (就地解决) files it as handled by the grid worker, with the
    result and after-photos, straight into verification."""
    if idempotency_key:
        existing = _existing(actor, idempotency_key)
        if existing is not None:
            return existing, False
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
    try:
        with transaction.atomic():
            event = _create(actor=actor, channel=channel, category=category, description=description, grid=grid,
                            latitude=latitude, longitude=longitude, address=address, urgency=urgency,
                            idempotency_key=idempotency_key, resolved_on_site=resolved_on_site, result=result,
                            reporter_name=reporter_name, reporter_contact=reporter_contact, extra=extra,
                            reported_at=reported_at)
            _store(event, actor, checked, AttachmentStage.REPORT)
            _store(event, actor, checked_after, AttachmentStage.ONSITE)
    except IntegrityError:
        # The same key filed at the same moment by a second request: return the first.
        existing = _existing(actor, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return existing, False
    return event, True


def _check_lengths(**texts) -> None:
    too_long = {name: _("At most %(limit)d characters (this has %(length)d).") % {"limit": TEXT_LIMITS[name], "length": len(value)}
                for name, value in texts.items() if value and len(value) > TEXT_LIMITS[name]}
    if too_long:
        raise ValidationError(too_long)


def _existing(actor, key) -> Event | None:
    """The event this reporter filed with ``key`` (keys are unique per reporter: another
    client's use of the same key is neither found nor revealed)."""
    return Event.objects.filter(idempotency_key=key, reporter=actor).first()


def _create(*, actor, channel, category, description, grid, latitude, longitude, address, urgency, idempotency_key,
            resolved_on_site, result, reporter_name, reporter_contact, extra, reported_at) -> Event:
    now = reported_at or timezone.now()
    transition = MACHINE["report_onsite" if resolved_on_site else "report"]
    event = Event(
        channel=channel, reporter=actor, **reporter_fields(name=reporter_name, contact=reporter_contact), grid=grid, command_area=command_center_for(grid), address=address[:200],
        latitude=latitude, longitude=longitude, category=category, urgency=urgency, description=description,
        extra=extra, state=transition.target, is_onsite=resolved_on_site, reported_at=now,
        idempotency_key=idempotency_key or None,
        # Residents on the public page follow their report with a code (no account).
        tracking_code=tracking_code_new() if channel == Channel.RESIDENT else None,
    )
    if resolved_on_site:
        event.handler = actor
        event.result = result.strip()
        event.handled_at = now
    # Reads first (the duplicate hint, the deadlines, who to tell), then the day's
    # counter, then the writes: the counter's row lock is held only for the writes.
    event.duplicate_of = selectors.duplicate_candidate(event)
    timers = timers_build(event=event, stages=transition.starts, at=now, limits=sla_limits(category_id=category.pk, urgency=urgency))
    event.light, event.due_at = light_of(timers)
    event.yellow_at, event.red_at = light_times(timers)
    from workflow import selectors as workflow_selectors

    if resolved_on_site:
        people = workflow_selectors.grid_verifiers(event) - {actor.pk}
    else:
        people = workflow_selectors.command_center_staff(event)
    event.code = event_code_next(timezone.localdate(now))
    event.save()
    Timer.objects.bulk_create(timers)
    timeline_write(event=event, actor=actor, transition=transition.name, from_state="", to_state=event.state,
                   note=event.result if resolved_on_site else "", at=now,
                   actor_kind="user" if actor is not None else "reporter",
                   data={"channel": channel, "duplicate_of": event.duplicate_of_id})
    if resolved_on_site:
        notify(user_ids=people, event=event, kind="verify", message="verify_onsite", params={"code": event.code},
               url=event.get_absolute_url())
    else:
        notify(user_ids=people, event=event, kind="reported", message="reported",
               params={"code": event.code, "category": category.name}, url=event.get_absolute_url())
    return event


def _store(event, actor, checked, stage) -> list[Attachment]:
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
    return _store(event, actor, checked, stage)
