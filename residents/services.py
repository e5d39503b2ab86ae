"""Writes for residents, special groups, care visits and key places.

Each service takes ``actor=``, checks the actor's scope through ``residents.selectors``
(objects outside it answer ``Http404``), runs in one transaction, locks what it
changes and writes one audit or access-log row. Imports live in ``residents.imports``,
exports in ``residents.exports``.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import User
from accounts.scoping import access_area
from residents import crypto
from residents.ids import InvalidNumber, parse_id_number
from residents.models import (
    DEFAULT_CARE_LEVEL,
    VISIT_INTERVAL_DAYS,
    AccessAction,
    CareVisit,
    InspectionResult,
    KeyPlace,
    PersonalDataAccess,
    PlaceInspection,
    ResidenceType,
    Resident,
    ResidentImport,
    ResidentTag,
    Room,
)
from residents.phones import phone_display, phone_normalise
from residents.rotation import rekeying_pending
from residents.selectors import (
    SearchHit,
    access_key_place,
    access_resident,
    access_resident_tag,
    can_record_visit,
    can_reveal,
    resident_search,
    residents_matching,
    search_kind,
)
from residents.signals import registry_changed

PROTECTED_FIELDS = {"id_number": "id_cipher", "phone": "phone_cipher"}
logger = logging.getLogger(__name__)


class SearchBudgetExceeded(PermissionDenied):
    """The user has spent their budget of exact searches for the window."""


def access_log_record(*, actor, action: str, resident: Resident | None = None, field: str = "", reason: str = "",
                      filters: dict | None = None, row_count: int | None = None) -> PersonalDataAccess:
    """The one helper that writes the personal-data access log."""
    return PersonalDataAccess.objects.create(
        actor=actor, action=action, resident=resident, field=field, reason=reason[:200], filters=filters or {}, row_count=row_count
    )


def resident_reveal(*, actor, resident: Resident, field: str, reason: str) -> str:
    """The clear value of a protected field, for a role allowed to see it, with a reason;
    logged before it is returned."""
    resident = access_resident(actor, resident.pk)
    if field not in PROTECTED_FIELDS:
        raise ValidationError({"field": _("Only the ID number or the phone number can be revealed.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for seeing this personal data.")})
    if not can_reveal(actor, resident, field):
        raise PermissionDenied(_("Your role may not reveal this personal data."))
    blob = getattr(resident, PROTECTED_FIELDS[field])
    value = crypto.decrypt(blob, field=field) if blob else ""
    if field == "phone":
        value = phone_display(value)
    with transaction.atomic():
        access_log_record(actor=actor, action=AccessAction.REVEAL, resident=resident, field=field, reason=reason)
    return value


def resident_register(*, actor, grid, name: str, id_number: str, phone: str = "", room: Room | None = None,
                      residence_type: str = ResidenceType.REGISTERED, upgrade_legacy: bool = False, **details) -> Resident:
    """Register one resident (the import does many at once); the ID number decides
    birth date and gender."""
    if actor is not None:
        grid = access_area(actor, grid.pk)
    try:
        number = parse_id_number(id_number, upgrade_legacy=upgrade_legacy)
    except InvalidNumber as error:
        raise ValidationError({"id_number": str(error)}) from None
    try:
        phone = phone_normalise(phone) if phone else ""
    except InvalidNumber as error:
        raise ValidationError({"phone": str(error)}) from None
    if rekeying_pending():
        raise ValidationError({"id_number": _("ID numbers are being re-keyed; register this person again in a few minutes.")})
    id_cipher, id_hash, id_mask = crypto.protect(number.value, field="id_number")
    if Resident.objects.filter(id_hash__in=crypto.lookup_hashes(number.value, field="id_number")).exists():
        raise ValidationError({"id_number": _("A resident with this ID number is registered already.")})
    phone_cipher, phone_hash, phone_mask = crypto.protect(phone, field="phone")
    with transaction.atomic():
        resident = Resident(
            grid=grid, room=room, name=name, gender=number.gender, birth_date=number.birth_date, residence_type=residence_type,
            id_cipher=id_cipher, id_hash=id_hash, id_mask=id_mask, phone_cipher=phone_cipher, phone_hash=phone_hash,
            phone_mask=phone_mask, **details,
        )
        resident.full_clean(exclude=["id_cipher", "phone_cipher"])
        resident.save()
        audit_record(actor=actor, action="resident_register", obj=resident, changes={"grid": grid.code})
        registry_changed.send(sender=Resident, grid_ids=[grid.pk])
    return resident


def resident_move_out(*, actor, resident: Resident, moved_out_on: datetime.date) -> Resident:
    """Record that a resident moved out; the record stays, as history."""
    access_resident(actor, resident.pk)
    with transaction.atomic():
        resident = Resident.objects.select_for_update().get(pk=resident.pk)
        if resident.moved_in_on and moved_out_on < resident.moved_in_on:
            raise ValidationError({"moved_out_on": _("The move-out date is before the move-in date.")})
        resident.moved_out_on = moved_out_on
        resident.save(update_fields=["moved_out_on", "updated_at"])
        ResidentTag.objects.filter(resident=resident, ended_on__isnull=True).update(ended_on=moved_out_on)
        audit_record(actor=actor, action="resident_move_out", obj=resident, changes={"moved_out_on": moved_out_on.isoformat()})
        registry_changed.send(sender=Resident, grid_ids=[resident.grid_id])
    return resident


def resident_tag_add(*, actor, resident: Resident, group: str, since: datetime.date, care_level: str | None = None,
                     follow_up: dict | None = None) -> ResidentTag:
    """Put a resident into a special group; the first visit is due one interval after ``since``."""
    resident = access_resident(actor, resident.pk)
    level = care_level or DEFAULT_CARE_LEVEL[group]
    with transaction.atomic():
        Resident.objects.select_for_update().filter(pk=resident.pk).first()
        existing = ResidentTag.objects.filter(resident=resident, group=group, ended_on__isnull=True).first()
        if existing is not None:
            return existing
        tag = ResidentTag.objects.create(
            resident=resident, grid_id=resident.grid_id, group=group, care_level=level, follow_up=follow_up or {},
            since=since, next_visit_due=since + datetime.timedelta(days=VISIT_INTERVAL_DAYS[level]),
        )
        audit_record(actor=actor, action="resident_tag_add", obj=tag, changes={"group": group, "care_level": level})
        registry_changed.send(sender=ResidentTag, grid_ids=[resident.grid_id])
    return tag


def care_visit_record(*, actor, tag: ResidentTag, visited_on: datetime.date, note: str = "") -> CareVisit:
    """A grid worker's care visit; moves the next due date one interval on."""
    tag = access_resident_tag(actor, tag.pk)
    if not can_record_visit(actor, tag.grid):
        raise PermissionDenied(_("Only the grid's workers record care visits."))
    with transaction.atomic():
        tag = ResidentTag.objects.select_for_update().get(pk=tag.pk)
        # One visit per worker, person and day: a resubmitted form records nothing twice.
        existing = CareVisit.objects.filter(tag=tag, visited_by=actor, visited_on=visited_on).first()
        if existing is not None:
            return existing
        visit = CareVisit.objects.create(tag=tag, visited_by=actor, visited_on=visited_on, note=note)
        if tag.last_visit_on is None or visited_on >= tag.last_visit_on:
            tag.last_visit_on = visited_on
            tag.next_visit_due = visited_on + datetime.timedelta(days=VISIT_INTERVAL_DAYS[tag.care_level])
            tag.save(update_fields=["last_visit_on", "next_visit_due"])
    return visit


def key_place_create(*, actor, grid, name: str, kind: str, address: str = "", contact_name: str = "",
                     contact_phone: str = "") -> KeyPlace:
    grid = access_area(actor, grid.pk) if actor is not None else grid
    if not grid.is_grid:
        raise ValidationError({"grid": _("A key place lies in a grid.")})
    with transaction.atomic():
        place = KeyPlace(grid=grid, name=name, kind=kind, address=address, contact_name=contact_name, contact_phone=contact_phone)
        place.full_clean()
        place.save()
        audit_record(actor=actor, action="key_place_create", obj=place, changes={"grid": grid.code, "kind": kind})
        registry_changed.send(sender=KeyPlace, grid_ids=[grid.pk])
    return place


def place_inspection_record(*, actor, place: KeyPlace, inspected_on: datetime.date, result: str, note: str = "") -> PlaceInspection:
    place = access_key_place(actor, place.pk)
    if result not in InspectionResult.values:
        raise ValidationError({"result": _("Unknown inspection result.")})
    with transaction.atomic():
        return PlaceInspection.objects.create(place=place, inspected_by=actor, inspected_on=inspected_on, result=result, note=note)


# --- Exact searches: a budget and a log, so that a search is not an oracle ------------------------


def resident_find(*, actor, query: str, limit: int = 50) -> list[SearchHit]:
    """Search residents in scope. A name search (any part of the name) is free; an exact
    search by ID number or phone counts against the user's budget
    (``RESIDENT_EXACT_SEARCH_BUDGET`` per ``RESIDENT_EXACT_SEARCH_WINDOW`` seconds) and is
    written to the access log with its kind and whether it matched. Over the budget it is
    refused (and the refusal logged, for administrators) with ``SearchBudgetExceeded``."""
    kind, _value = search_kind((query or "").strip())
    if kind == "name":
        return resident_search(actor, query, limit=limit)
    return _exact_search_spend(actor=actor, kind=kind, search=lambda: resident_search(actor, query, limit=limit), count=len)


def residents_filter_query(*, actor, residents, query: str):
    """``residents`` narrowed by what was typed (the API's ``q``: part of a name, an exact
    ID number or phone — ``residents_matching``). An exact search is charged to the
    budget and logged like ``resident_find``; ``SearchBudgetExceeded`` over the budget."""
    kind, _value = search_kind((query or "").strip())
    matching = residents_matching(residents, query)
    if kind == "name":
        return matching
    _exact_search_spend(actor=actor, kind=kind, search=lambda: matching, count=lambda found: found.count())
    return matching


def _exact_search_spend(*, actor, kind: str, search, count):
    """Run ``search()`` if ``actor`` has exact searches left, logging it (``count`` of its
    result as the row count); else log the refusal and raise ``SearchBudgetExceeded``."""
    since = timezone.now() - datetime.timedelta(seconds=settings.RESIDENT_EXACT_SEARCH_WINDOW)
    with transaction.atomic():
        # One search at a time per user, so that parallel requests cannot overspend.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        spent = PersonalDataAccess.objects.filter(actor=actor, action=AccessAction.SEARCH, at__gte=since).count()
        if spent >= settings.RESIDENT_EXACT_SEARCH_BUDGET:
            access_log_record(actor=actor, action=AccessAction.REFUSED, field=kind)
            refused = True
        else:
            refused = False
            found = search()
            access_log_record(actor=actor, action=AccessAction.SEARCH, field=kind, row_count=count(found))
    if refused:
        logger.warning("exact-search budget spent: user %s", actor.pk)
        raise SearchBudgetExceeded(
            _("You have made %(count)d searches by ID number or phone in the last %(minutes)d minutes, the most allowed. "
              "Search by name, or try again later; administrators can see this in the access log.")
            % {"count": settings.RESIDENT_EXACT_SEARCH_BUDGET, "minutes": settings.RESIDENT_EXACT_SEARCH_WINDOW // 60}
        )
    return found


# --- Import files: downloads logged, deleted after the retention ------------------------------------


def import_file_download(*, actor, job: ResidentImport, which: str = "error_file"):
    """Open an import's stored file (``file``) or error report (``error_file``) for
    ``actor`` (who must see the import: ``access_import``), logging the download."""
    stored = getattr(job, which)
    if not stored:
        return None
    with transaction.atomic():
        access_log_record(actor=actor, action=AccessAction.DOWNLOAD, field=which,
                          filters={"import": job.pk, "file": job.original_name})
    return stored.open("rb")


def resident_files_purge(*, now=None) -> int:
    """Delete the import files and error reports older than
    ``RESIDENT_FILE_RETENTION_DAYS``; the import rows (who, when, counts) and the access
    log stay. Safe to run twice. Returns how many imports lost their files."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.RESIDENT_FILE_RETENTION_DAYS)
    purged = 0
    for job_id in ResidentImport.objects.filter(created_at__lt=cutoff, files_purged_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            job = ResidentImport.objects.select_for_update(skip_locked=True).filter(pk=job_id, files_purged_at__isnull=True).first()
            if job is None or (job.status == "running" and job.heartbeat_at and now - job.heartbeat_at < datetime.timedelta(days=1)):
                continue
            for stored in (job.file, job.error_file):
                if stored:
                    stored.storage.delete(stored.name)
            job.file, job.error_file, job.files_purged_at = "", "", now
            job.save(update_fields=["file", "error_file", "files_purged_at"])
            audit_record(actor=None, action="resident_files_purge", obj=job, changes={"retention_days": settings.RESIDENT_FILE_RETENTION_DAYS})
            purged += 1
    return purged
