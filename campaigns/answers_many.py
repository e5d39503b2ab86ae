"""Many answers at once: a phone's offline queue sent in one request
(``POST /api/v1/campaigns/answers/``).

Each answer gets exactly what ``campaigns.answers.target_answer`` gives one answer —
the same checks, the same idempotency (a key seen before returns its first answer), the
same counters — but the batch's good answers are written together in one transaction
of a fixed number of statements: the targets locked in primary-key order, the answers
inserted at once, the targets updated at once, the counter rows locked in primary-key
order and set. That is the lock order of a single answer (targets, then counters, each
in key order), so batches and single answers never deadlock. What cannot go the fast way
(files, a key repeated inside the batch, a key taken meanwhile by another request) goes
through ``target_answer`` one by one afterwards, so nothing valid is lost.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import counters
from campaigns.answers import _LOCKED_FIELDS, late_check, target_answer
from campaigns.formspec import FILE_TYPES, answers_check
from campaigns.models import COUNTERS, Answer, Outcome, Progress, Target, TargetStatus
from campaigns.selectors import can_answer


def _refused(error) -> dict:
    """The refusal's messages by field, as the API shows them."""
    if hasattr(error, "error_dict"):
        return error.message_dict
    return {"non_field_errors": getattr(error, "messages", [str(error)])}


def _checked(actor, item: dict, today) -> dict:
    """The item's answer values and problems, or ``ValidationError``/``PermissionDenied``."""
    target, outcome = item["target"], item["outcome"]
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Say whether the target was visited or nobody was home.")})
    latitude, longitude = item.get("latitude"), item.get("longitude")
    if (latitude is None) != (longitude is None) or (latitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)):
        raise ValidationError({"location": _("The position is not a valid latitude and longitude.")})
    if not can_answer(actor, target):
        raise PermissionDenied(_("Only the grid's workers answer this target."))
    late = late_check(target.campaign, today)
    values, problems = {}, []
    if outcome == Outcome.VISITED:
        values, problems = answers_check(target.campaign.form, dict(item.get("values") or {}), {})
    return {"values": values, "problems": problems, "late": late}


def answers_record_many(*, actor, items: list[dict]) -> list[tuple[str, object]]:
    """``items``: dicts with ``target`` (a ``Target`` read with its campaign),
    ``idempotency_key``, ``outcome``, ``values``, ``latitude``, ``longitude``,
    ``recorded_at``, ``note``. Returns, per item in order, ``("created", answer)``,
    ``("existing", answer)`` or ``("refused", detail)``."""
    results: list = [None] * len(items)
    keys = [(item.get("idempotency_key") or "").strip() for item in items]
    seen = {answer.idempotency_key: answer for answer in Answer.objects.filter(idempotency_key__in=[k for k in keys if k])}
    today, fast, slow, first_use = timezone.localdate(), [], [], set()
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        if not key or len(key) > 64:
            results[index] = ("refused", {"idempotency_key": [_("Every answer needs an idempotency key of at most 64 characters.")]})
        elif key in seen:
            existing = seen[key]
            results[index] = (("existing", existing) if existing.by_id == actor.pk else
                              ("refused", {"idempotency_key": [_("This idempotency key was already used by someone else.")]}))
        elif key in first_use or any(spec["type"] in FILE_TYPES for spec in item["target"].campaign.form
                                     if (item.get("values") or {}).get(spec["code"]) or spec.get("required")):
            slow.append(index)  # a repeated key, or files: one by one, afterwards
        else:
            first_use.add(key)
            try:
                fast.append((index, key, _checked(actor, item, today)))
            except (ValidationError, PermissionDenied) as error:
                results[index] = ("refused", _refused(error))
    if fast:
        try:
            with transaction.atomic():
                _write(actor, items, fast, results)
        except IntegrityError:  # a key taken meanwhile by another request: one by one
            slow.extend(index for index, _key, _checked_ in fast)
    for index in sorted(slow):
        item = items[index]
        try:
            answer, created = target_answer(
                actor=actor, target=item["target"], outcome=item["outcome"], idempotency_key=keys[index],
                values=item.get("values"), latitude=item.get("latitude"), longitude=item.get("longitude"),
                recorded_at=item.get("recorded_at"), note=item.get("note", ""))
            results[index] = ("created" if created else "existing", answer)
        except (ValidationError, PermissionDenied) as error:
            results[index] = ("refused", _refused(error))
    return results


def _write(actor, items, fast, results) -> None:
    locked = {target.pk: target for target in Target.objects.select_for_update().only(*_LOCKED_FIELDS)
              .filter(pk__in={items[index]["target"].pk for index, _key, _checked_ in fast}).order_by("pk")}
    now = timezone.now()
    answers, written, deltas = [], [], {}
    for index, key, checked in fast:
        item = items[index]
        target = locked[item["target"].pk]
        if target.status == TargetStatus.MOVED_OUT:
            results[index] = ("refused", {"non_field_errors": [_("This target has moved out and is closed.")]})
            continue
        if item["outcome"] == Outcome.NOT_HOME and target.status == TargetStatus.DONE:
            results[index] = ("refused", {"non_field_errors": [_("This target was already visited.")]})
            continue
        before = counters.target_counts(target.status, target.problem, target.event_id)
        answer = Answer(target=target, outcome=item["outcome"], values=checked["values"], problems=checked["problems"],
                        form_version=item["target"].campaign.form_version, by=actor, at=now,
                        recorded_at=item.get("recorded_at"), latitude=item.get("latitude"),
                        longitude=item.get("longitude"), note=(item.get("note") or "")[:200], late=checked["late"],
                        idempotency_key=key)
        target.attempts += 1
        target.late = checked["late"]
        if item["outcome"] == Outcome.VISITED:
            target.status, target.problem, target.answered_at = TargetStatus.DONE, bool(checked["problems"]), now
        else:
            target.status = TargetStatus.NOT_HOME
        after = counters.target_counts(target.status, target.problem, target.event_id)
        delta = counters.counts_delta(before, after)
        for worker_id in {None, target.worker_id}:  # the grid's row and the worker's
            row = deltas.setdefault((target.campaign_id, target.grid_id, worker_id), dict.fromkeys(COUNTERS, 0))
            for name, value in delta.items():
                row[name] += value
        answers.append(answer)
        written.append((index, answer, target))
    Answer.objects.bulk_create(answers)
    for index, answer, target in written:
        target.last_answer = answer
        results[index] = ("created", answer)
    _rows_update(Target, {target.pk: target for _index, _answer, target in written}.values(), TARGET_FIELDS)
    _counters_add(deltas)


# What an answer changes on its target, with the SQL type of each column.
TARGET_FIELDS = {"attempts": "integer", "last_answer_id": "bigint", "late": "boolean", "status": "varchar",
                 "problem": "boolean", "answered_at": "timestamptz"}


def _rows_update(model, rows, fields: dict) -> None:
    """Set ``fields`` of the (locked) ``rows`` in one statement. On PostgreSQL an
    ``UPDATE … FROM (VALUES …)``; elsewhere Django's ``bulk_update``. (``bulk_update``
    builds one ``CASE`` per field and row, which costs more Python than the writes.)"""
    rows = list(rows)
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, [name.removesuffix("_id") for name in fields])
        return
    table = model._meta.db_table
    names = list(fields)
    values = ", ".join(["(" + ", ".join(["%s"] * (len(names) + 1)) + ")"] * len(rows))
    sets = ", ".join(f'"{name}" = v."{name}"::{kind}' for name, kind in fields.items())
    columns = ", ".join(["id", *(f'"{name}"' for name in names)])
    params = [value for row in rows for value in (row.pk, *(getattr(row, name) for name in names))]
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET {sets} FROM (VALUES {values}) AS v({columns}) '
                       f'WHERE "{table}".id = v.id::bigint', params)


def _counters_add(deltas: dict) -> None:
    """Add the deltas ((campaign, grid, worker or None) → counts) to their rows, locked
    in primary-key order."""
    wanted = Q(pk__in=[])
    for campaign_id, grid_id, worker_id in deltas:
        wanted |= Q(campaign_id=campaign_id, area_id=grid_id, worker_id=worker_id)
    rows = list(Progress.objects.select_for_update().filter(wanted).order_by("pk"))
    for row in rows:
        for name, value in deltas[(row.campaign_id, row.area_id, row.worker_id)].items():
            setattr(row, name, getattr(row, name) + value)
    _rows_update(Progress, rows, dict.fromkeys(COUNTERS, "integer"))
