"""Writes for patrols: the checklist's revisions (audited), rounds, item checks and
findings. Track points are in ``patrols.track``.

Every write from the phone carries the browser's idempotency key (``key``): sent again
— a lost answer, the offline queue replaying — it returns what the first one did and
changes nothing."""

import os
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Role
from accounts.scoping import user_scope
from events.attachments import attachment_check
from events.models import Channel
from grids.models import GRID_LEVELS, Area
from grids.spatial import grid_id_at
from patrols.models import (
    CheckPhoto,
    CheckResult,
    PatrolCheck,
    PatrolFinding,
    PatrolItem,
    PatrolItemVersion,
    PatrolRound,
    PatrolSlot,
    RoundStatus,
    Target,
)
from patrols.objects import object_label
from patrols.plans import period_start
from workflow.services import event_file

# Who walks patrol rounds: grid workers (full-time, part-time), grid leaders, grid police
# and liaison cadres, on the grids of their roles.
PATROL_ROLES = (Role.GRID_WORKER, Role.PARTTIME_WORKER, Role.GRID_LEADER, Role.POLICE, Role.LIAISON)
# A check or finding queued before the round ended may arrive this long after the end.
LATE_GRACE = timedelta(minutes=1)
KEY_MAX = 64

REVISABLE = ("name", "name_en", "guidance", "target", "kinds", "frequency", "default_category")


def _key(key) -> str:
    key = str(key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise ValidationError({"key": _("Every request from the phone needs an idempotency key of at most 64 characters.")})
    return key


def _when(moment):
    now = timezone.now()
    if moment is None:
        return now
    if moment > now + timedelta(minutes=10):
        raise ValidationError({"at": _("The time lies in the future.")})
    return moment


def can_patrol(user, grid: Area) -> bool:
    return user_scope(user).holds_role_over(grid.path, *PATROL_ROLES)


# --- Checklist -------------------------------------------------------------------------------


def _version_values(values: dict) -> dict:
    from events.models import Category

    category = values.get("default_category")
    if category is not None and not isinstance(category, Category):
        category = Category.objects.filter(pk=category).first()
        values["default_category"] = category
    if category is not None and not category.is_small_class:
        raise ValidationError({"default_category": _("Choose a small class, not a big class.")})
    if values.get("target") not in Target.values:
        raise ValidationError({"target": _("Choose what the item is checked at.")})
    if not (values.get("name") or "").strip():
        raise ValidationError({"name": _("Give the item a name.")})
    if not isinstance(values.get("kinds") or [], list):
        raise ValidationError({"kinds": _("Give the kinds as a list.")})
    return values


def patrol_item_create(*, actor, patrol_class, code: str, order: int = 0, **values) -> PatrolItem:
    """A new item with its first version (audited)."""
    values = _version_values({key: values.get(key) for key in REVISABLE})
    values["kinds"] = values.get("kinds") or []
    values["name_en"] = values.get("name_en") or ""
    values["guidance"] = values.get("guidance") or ""
    with transaction.atomic():
        item = PatrolItem.objects.create(patrol_class=patrol_class, code=code, order=order)
        version = PatrolItemVersion.objects.create(item=item, number=1, created_by=actor, **values)
        item.current = version
        item.save(update_fields=["current"])
        audit_record(actor=actor, action="patrol_item_create", obj=item, changes={"version": 1})
    return item


def patrol_item_revise(*, actor, item_id: int, **changes) -> PatrolItemVersion:
    """Publish a new version of an item with ``changes``; checks already made keep the
    version they were made against. Nothing changed: the current version is returned."""
    unknown = set(changes) - set(REVISABLE)
    if unknown:
        raise ValidationError(_("These fields cannot be revised: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        item = PatrolItem.objects.select_for_update(of=("self",)).select_related("current").get(pk=item_id)
        current = item.current
        values = {key: getattr(current, key) for key in REVISABLE}
        values.update(changes)
        values = _version_values(values)
        values["kinds"] = values.get("kinds") or []
        values["name_en"] = values.get("name_en") or ""
        differing = {key: str(value) for key, value in values.items() if getattr(current, key) != value}
        if not differing:
            return current
        version = PatrolItemVersion.objects.create(item=item, number=current.number + 1, created_by=actor, **values)
        item.current = version
        item.save(update_fields=["current"])
        audit_record(actor=actor, action="patrol_item_revise", obj=item, changes={"version": version.number, **differing})
    return version


# --- Rounds ----------------------------------------------------------------------------------


def round_start(*, actor, key: str, grid=None, at=None, latitude=None, longitude=None) -> tuple[PatrolRound, bool]:
    """Start a round in ``grid`` (or the grid at the position, or the actor's only grid).
    Returns ``(round, created)``."""
    key = _key(key)
    existing = PatrolRound.objects.filter(client_key=key).first()
    if existing is not None:
        if existing.worker_id != actor.pk:
            raise ValidationError({"key": _("This idempotency key was already used by someone else.")})
        return existing, False
    chosen = _round_grid(actor, grid, latitude, longitude)
    if PatrolRound.objects.filter(worker=actor, status=RoundStatus.OPEN).exists():
        raise ValidationError({"round": _("You have a round in progress: continue it or end it first.")})
    try:
        with transaction.atomic():
            round = PatrolRound.objects.create(worker=actor, grid=chosen, started_at=_when(at), client_key=key)
    except IntegrityError:
        existing = PatrolRound.objects.filter(client_key=key, worker=actor).first()
        if existing is None:
            raise ValidationError({"round": _("You have a round in progress: continue it or end it first.")}) from None
        return existing, False
    return round, True


def _round_grid(actor, grid, latitude, longitude) -> Area:
    from patrols.plans import worker_grids

    chosen = None
    if grid is not None:
        grid_id = getattr(grid, "pk", grid)
        chosen = Area.objects.filter(pk=grid_id, level__in=GRID_LEVELS).first() if str(grid_id).isdigit() else None
        if chosen is None:
            raise ValidationError({"grid": _("Choose a grid.")})
    elif latitude is not None and longitude is not None:
        found = grid_id_at(lat=latitude, lon=longitude)
        chosen = Area.objects.filter(pk=found).first() if found else None
    if chosen is None:
        mine = list(worker_grids(actor)[:2])
        if len(mine) != 1:
            raise ValidationError({"grid": _("Choose the grid you patrol.")})
        chosen = mine[0]
    if not can_patrol(actor, chosen):
        raise ValidationError({"grid": _("You do not patrol this grid.")})
    return chosen


def _lock_own_round(actor, round_id, *, at=None) -> PatrolRound:
    round = PatrolRound.objects.select_for_update().select_related("grid").filter(pk=round_id).first()
    if round is None or round.worker_id != actor.pk:
        raise ValidationError({"round": _("Only the worker who walks a round records in it.")})
    if round.status == RoundStatus.ENDED and (at is None or at > round.ended_at + LATE_GRACE):
        raise ValidationError({"round": _("This round has ended.")})
    return round


def round_end(*, actor, round_id: int, at=None, note: str = "") -> PatrolRound:
    """End the round (at ``at``, the phone's time of the tap, when it was queued). Ending
    an ended round changes nothing."""
    with transaction.atomic():
        round = PatrolRound.objects.select_for_update().filter(pk=round_id).first()
        if round is None or round.worker_id != actor.pk:
            raise ValidationError({"round": _("Only the worker who walks a round ends it.")})
        if round.status == RoundStatus.ENDED:
            return round
        round.ended_at = max(_when(at), round.started_at)
        round.status = RoundStatus.ENDED
        round.note = (note or round.note or "").strip()
        round.save(update_fields=["ended_at", "status", "note"])
    return round


# --- Checks ----------------------------------------------------------------------------------


def _version_at(item: PatrolItem, moment) -> PatrolItemVersion:
    """The item's version in force at ``moment`` (a queued check keeps its day's text)."""
    version = item.versions.filter(created_at__lte=moment).order_by("-number").first()
    return version or item.current


def check_record(*, actor, round_id: int, key: str, item, object_kind: str, object_id, result: str, note: str = "",
                 at=None, latitude=None, longitude=None, photos=()) -> tuple[PatrolCheck, bool]:
    """Record one item checked at one object during the round. Returns ``(check, created)``."""
    key = _key(key)
    existing = PatrolCheck.objects.filter(client_key=key).first()
    if existing is not None:
        if existing.worker_id != actor.pk:
            raise ValidationError({"key": _("This idempotency key was already used by someone else.")})
        return existing, False
    if result not in CheckResult.values:
        raise ValidationError({"result": _("Choose a result: no problem, problem found or not applicable.")})
    checked = [attachment_check(upload) for upload in photos]
    at = _when(at)
    item_id = getattr(item, "pk", item)
    item = PatrolItem.objects.filter(pk=item_id).select_related("current").first() if str(item_id).isdigit() else None
    if item is None or not item.is_active:
        raise ValidationError({"item": _("Choose an item of the checklist.")})
    try:
        with transaction.atomic():
            round = _lock_own_round(actor, round_id, at=at)
            if at < round.started_at - LATE_GRACE:
                raise ValidationError({"at": _("The time lies before the round started.")})
            version = _version_at(item, at)
            if object_kind != version.target:
                raise ValidationError({"object_kind": _("This item is checked at: %(target)s.") % {"target": version.get_target_display()}})
            label = object_label(grid=round.grid, kind=object_kind, object_id=object_id) if str(object_id).isdigit() else None
            if label is None:
                raise ValidationError({"object_id": _("This object is not in the round's grid.")})
            check = PatrolCheck.objects.create(
                round=round, item=item, version=version, object_kind=object_kind, object_id=int(object_id),
                object_label=label[:120], grid=round.grid, worker=actor, checked_at=at,
                period_start=period_start(version.frequency, timezone.localtime(at).date()), result=result,
                note=(note or "").strip(), lat=latitude, lon=longitude, client_key=key)
            for upload in checked:
                photo = CheckPhoto(item_check=check, original_name=upload.name[:200])
                photo.file.save(f"{uuid.uuid4().hex}{os.path.splitext(upload.name)[1].lower()[:8]}",
                                ContentFile(upload.content), save=False)
                photo.save()
            PatrolSlot.objects.bulk_create(
                [PatrolSlot(item=item, object_kind=object_kind, object_id=check.object_id, period_start=check.period_start,
                            grid=round.grid, worker=actor, first_checked_at=at)], ignore_conflicts=True)
    except IntegrityError:
        existing = PatrolCheck.objects.filter(client_key=key, worker=actor).first()
        if existing is None:
            raise
        return existing, False
    return check, True


# --- Findings --------------------------------------------------------------------------------


def finding_file(*, actor, round_id: int, key: str, description: str, category=None, check_id=None, check_key=None, latitude=None,
                 longitude=None, photos=(), urgency: str = "normal", at=None) -> tuple[PatrolFinding, bool]:
    """File a problem found on the round as an event through the normal filing entry
    point (channel ``patrol``, its SLA and notifications). The small class defaults to
    the checked item's; the position to the check's, else the round's last fix; the grid
    is the one at the position, else the round's. The event is reported when it reaches
    the server (its SLA runs from then); the finding keeps when it was found (``at``).
    Returns ``(finding, created)``; a replay (same key) returns the first finding, even
    after the round ended."""
    key = _key(key)
    existing = PatrolFinding.objects.filter(event__idempotency_key=key).select_related("event").first()
    if existing is not None:
        if existing.worker_id != actor.pk or existing.round_id != int(round_id):
            raise ValidationError({"key": _("This idempotency key was already used for another round.")})
        return existing, False
    at = _when(at)
    with transaction.atomic():
        round = _lock_own_round(actor, round_id, at=at)
    check = None
    if check_key:
        check = PatrolCheck.objects.filter(client_key=check_key, round=round).select_related("version").first()
        if check is None:
            raise ValidationError({"check": _("This check is not part of the round.")})
    elif check_id not in (None, ""):
        check = PatrolCheck.objects.filter(pk=check_id, round=round).select_related("version").first() if str(check_id).isdigit() else None
        if check is None:
            raise ValidationError({"check": _("This check is not part of the round.")})
    if category in (None, ""):
        category = check.version.default_category if check is not None else None
        if category is None:
            raise ValidationError({"category": _("Choose a category from the list.")})
    if latitude is None or longitude is None:
        if check is not None and check.lat is not None:
            latitude, longitude = check.lat, check.lon
        elif round.last_lat is not None:
            latitude, longitude = round.last_lat, round.last_lon
    found = grid_id_at(lat=latitude, lon=longitude) if latitude is not None and longitude is not None else None
    event, _created = event_file(actor=actor, channel=Channel.PATROL, category=category, description=description,
                                 latitude=latitude, longitude=longitude, grid=found or round.grid, attachments=photos,
                                 urgency=urgency, idempotency_key=key, reported_at=None)
    finding, created = PatrolFinding.objects.get_or_create(
        event=event, defaults={"round": round, "item_check": check, "grid_id": event.grid_id, "worker": actor,
                               "created_at": at})
    if finding.round_id != round.pk:
        raise ValidationError({"key": _("This idempotency key was already used for another round.")})
    return finding, created
