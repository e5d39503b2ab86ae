"""Answers to a campaign's targets (visits and "nobody home") and the events filed
from them. Offline-safe: each answer carries an idempotency key; the same key sent
again returns the first answer and changes nothing.

Lock order, for every writer: the target row, then the counter rows (``counters``)."""

import base64
import binascii
import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import counters
from campaigns.formspec import FILE_TYPES, answers_check, display_value
from campaigns.models import Answer, AnswerFile, Campaign, CampaignState, Outcome, Target, TargetStatus
from campaigns.selectors import can_answer
from events.attachments import attachment_check
from events.models import Category, Channel

SIGNATURE_PREFIX = "data:image/png;base64,"


def late_check(campaign: Campaign, today: datetime.date) -> bool:
    """Is an answer given ``today`` late? ``ValidationError`` when it is not accepted."""
    if campaign.state == CampaignState.DRAFT:
        raise ValidationError(_("The campaign is not published yet."))
    if today < campaign.starts_on:
        raise ValidationError(_("The campaign starts on %(day)s.") % {"day": campaign.starts_on.isoformat()})
    late = campaign.state == CampaignState.CLOSED or today > campaign.ends_on
    if late and not campaign.allow_late:
        raise ValidationError(_("The campaign ended on %(day)s; late answers are not accepted.")
                              % {"day": campaign.ends_on.isoformat()})
    return late


def _signature_upload(value: str):
    """A signature drawn on the phone arrives as a PNG data URL."""
    try:
        content = base64.b64decode(value[len(SIGNATURE_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("The signature could not be read.")) from None
    return SimpleUploadedFile("signature.png", content, content_type="image/png")


def _files(form, raw: dict, files: dict) -> dict[str, list]:
    """code → checked files (photos uploaded, signatures from data URLs)."""
    checked = {}
    for spec in form:
        code = spec["code"]
        if spec["type"] not in FILE_TYPES:
            continue
        uploads = list(files.get(code) or [])
        text = raw.get(code)
        if spec["type"] == "signature" and isinstance(text, str) and text.startswith(SIGNATURE_PREFIX):
            uploads.append(_signature_upload(text))
        if uploads:
            checked[code] = [attachment_check(upload) for upload in uploads]
    return checked


def _existing(key: str, actor) -> Answer | None:
    answer = Answer.objects.filter(idempotency_key=key).select_related("target").first()
    if answer is not None and answer.by_id != actor.pk:
        raise ValidationError({"idempotency_key": _("This idempotency key was already used by someone else.")})
    return answer


def target_answer(*, actor, target: Target, outcome: str, idempotency_key: str, values: dict | None = None,
                  files: dict | None = None, latitude: float | None = None, longitude: float | None = None,
                  recorded_at: datetime.datetime | None = None, note: str = "") -> tuple[Answer, bool]:
    """Record a visit (``visited``, with the form's answers) or an attempt (``not_home``).
    Returns ``(answer, created)``; a repeated idempotency key returns the first answer.

    The key is looked up only when the answer cannot be recorded as new (a refusal, or
    the unique key taken): a replay is refused or collides on the key, and then gets the
    first answer, so the usual case — a new answer — costs no lookup."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise ValidationError({"idempotency_key": _("Every answer needs an idempotency key of at most 64 characters.")})
    try:
        return _answer_new(actor=actor, target=target, outcome=outcome, key=key, values=values, files=files,
                           latitude=latitude, longitude=longitude, recorded_at=recorded_at, note=note), True
    except (ValidationError, PermissionDenied, IntegrityError):
        # The same key sent again (later, or at the same moment by a second request):
        # return the first answer. Otherwise the refusal stands.
        existing = _existing(key, actor)
        if existing is None:
            raise
        return existing, False


def _answer_new(*, actor, target, outcome, key, values, files, latitude, longitude, recorded_at, note) -> Answer:
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Say whether the target was visited or nobody was home.")})
    if (latitude is None) != (longitude is None) or (latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)):
        raise ValidationError({"location": _("The position is not a valid latitude and longitude.")})
    # The campaign as the caller read it with the target (``access_target``), else fetched.
    cached = Target.campaign.is_cached(target)
    campaign = target.campaign if cached else Campaign.objects.select_related("area").get(pk=target.campaign_id)
    if not can_answer(actor, target):
        raise PermissionDenied(_("Only the grid's workers answer this target."))
    late = late_check(campaign, timezone.localdate())
    raw = dict(values or {})
    checked_files = {}
    answer_values, problems = {}, []
    if outcome == Outcome.VISITED:
        checked_files = _files(campaign.form, raw, files or {})
        answer_values, problems = answers_check(campaign.form, raw, {code: len(items) for code, items in checked_files.items()})
    with transaction.atomic():
        return _record(actor=actor, target=target, campaign=campaign, outcome=outcome, key=key, values=answer_values,
                       problems=problems, files=checked_files, latitude=latitude, longitude=longitude,
                       recorded_at=recorded_at, note=note, late=late)


# What an answer reads of the target it locks (no join: ``FOR UPDATE`` then locks the
# target row alone, not its grid's row as well).
_LOCKED_FIELDS = ("id", "campaign_id", "grid_id", "worker_id", "status", "attempts", "problem", "late", "event_id",
                  "last_answer_id", "answered_at")


def _record(*, actor, target, campaign, outcome, key, values, problems, files, latitude, longitude, recorded_at, note,
            late) -> Answer:
    target = Target.objects.select_for_update().only(*_LOCKED_FIELDS).get(pk=target.pk)
    if target.status == TargetStatus.MOVED_OUT:
        raise ValidationError(_("This target has moved out and is closed."))
    if outcome == Outcome.NOT_HOME and target.status == TargetStatus.DONE:
        raise ValidationError(_("This target was already visited."))
    before = counters.target_counts(target.status, target.problem, target.event_id)
    now = timezone.now()
    answer = Answer.objects.create(
        target=target, outcome=outcome, values=values, problems=problems, form_version=campaign.form_version, by=actor,
        at=now, recorded_at=recorded_at, latitude=latitude, longitude=longitude, note=(note or "")[:200], late=late,
        idempotency_key=key,
    )
    for code, items in files.items():
        for item in items:
            stored = AnswerFile(answer=answer, field=code, original_name=item.name[:200], content_type=item.content_type)
            extension = (item.name.rsplit(".", 1)[-1][:8] if "." in item.name else "bin").lower()
            stored.file.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(item.content), save=False)
            stored.save()
    target.attempts += 1
    target.last_answer = answer
    target.late = late
    if outcome == Outcome.VISITED:
        target.status, target.problem, target.answered_at = TargetStatus.DONE, bool(problems), now
    else:
        target.status = TargetStatus.NOT_HOME
    target.save(update_fields=["attempts", "last_answer", "late", "status", "problem", "answered_at"])
    after = counters.target_counts(target.status, target.problem, target.event_id)
    counters.progress_apply(campaign=campaign, grid_id=target.grid_id, worker_id=target.worker_id,
                            delta=counters.counts_delta(before, after))
    return answer


def problem_description(campaign: Campaign, target: Target, answer: Answer) -> str:
    specs = {spec["code"]: spec for spec in campaign.form}
    found = "；".join(f"{specs[code]['label']}：{display_value(specs[code], answer.values.get(code))}"
                     for code in answer.problems if code in specs)
    return f"【{campaign.name}】{target.label}：{found}"


def _problem_category(campaign: Campaign, answer: Answer) -> Category:
    specs = {spec["code"]: spec for spec in campaign.form}
    for code in answer.problems:
        named = specs.get(code, {}).get("category")
        if named:
            return Category.objects.get(code=named)
    if campaign.problem_category is None:
        raise ValidationError(_("The campaign names no small class to file problems as."))
    return campaign.problem_category


def target_event_file(*, actor, target: Target, idempotency_key: str, description: str = "",
                      attachments=()) -> tuple["object", bool]:
    """File the problem found at a target as an event, through the normal filing entry
    point (``workflow.services.event_file``), and count it. One event per target: a
    second tap returns the first."""
    from workflow.services import event_file

    target = Target.objects.select_related("campaign__area", "grid", "last_answer", "event").get(pk=target.pk)
    if not can_answer(actor, target):
        raise PermissionDenied(_("Only the grid's workers answer this target."))
    if target.event_id:
        return target.event, False
    answer = target.last_answer
    if answer is None or not target.problem:
        raise ValidationError(_("No problem was recorded at this target."))
    campaign = target.campaign
    with transaction.atomic():
        # The target is locked first (as answers do), so two taps from two phones file
        # one event: the second waits here and then finds the first.
        locked = Target.objects.select_for_update().get(pk=target.pk)
        if locked.event_id:
            return locked.event, False
        event, created = event_file(
            actor=actor, channel=Channel.GRID_WORKER, category=_problem_category(campaign, answer),
            description=(description or "").strip() or problem_description(campaign, target, answer),
            grid=target.grid, latitude=answer.latitude, longitude=answer.longitude, address=target.label,
            attachments=attachments, idempotency_key=f"campaign-{(idempotency_key or '').strip()[:50]}" if idempotency_key else None,
        )
        before = counters.target_counts(locked.status, locked.problem, locked.event_id)
        locked.event = event
        locked.save(update_fields=["event"])
        counters.progress_apply(campaign=campaign, grid_id=locked.grid_id, worker_id=locked.worker_id,
                                delta=counters.counts_delta(before, counters.target_counts(locked.status, locked.problem, True)))
    return event, created

