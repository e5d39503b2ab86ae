"""Rotating the personal-data key while the platform runs (``manage.py rotate_pii_key``,
docs/residents.md "Keys").

The operator first restarts every process with the new key in ``GOVERNANCE_PII_KEY`` and
the old one in ``GOVERNANCE_PII_OLD_KEYS``: from then on everything new is written under
the new key, and everything old stays readable (``crypto.decrypt`` tries each key) and
findable (``crypto.lookup_hashes`` looks up the hash under each key). The command then
moves every protected value — each registered column, table by table in batches of ids,
and every stored import file — to the new key:

- **online**: each batch is its own short transaction, and a row is rewritten only if it
  still holds what was read (compare and swap on its ciphers), so a row a user changed
  meanwhile (already under the new key) is left as they wrote it;
- **resumable**: the last id done per table is kept in a ``PiiRotation`` row for the new
  key; after a crash (even ``kill -9``) the command goes on from there;
- **idempotent**: a value that the current key opens and whose hash is the current one is
  not touched, so a second run changes nothing.

Resident imports wait while a rotation is pending (``rekeying_pending``): an import
matches people by the ID hash, and until every row carries the new hash it could not
find a person stored under the old one. Everything else keeps working.
"""

import time
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from residents import crypto
from residents.ids import InvalidNumber
from residents.phones import phone_normalise


@dataclass(frozen=True)
class ProtectedColumn:
    cipher: str  # the model field holding nonce ‖ ciphertext
    field: str  # the associated data (the field name given to crypto.encrypt)
    hash: str | None = None  # the keyed-hash field kept beside it, if any
    mask: str | None = None  # the masked rendering kept beside it, if any


# (app_label.Model, columns): the tables the command rewrites. Apps add theirs here.
PROTECTED_TABLES: dict[str, tuple[ProtectedColumn, ...]] = {
    "residents.Resident": (ProtectedColumn("id_cipher", "id_number", "id_hash"),
                           ProtectedColumn("phone_cipher", "phone", "phone_hash", "phone_mask")),
    "events.Event": (ProtectedColumn("reporter_name_cipher", "reporter_name"),
                     ProtectedColumn("reporter_contact_cipher", "reporter_contact")),
}
FILE_TABLES = {"residents.ResidentImport": ("file", "error_file")}
BATCH = 1000


def rekeying_pending() -> bool:
    """Are old keys configured and the rotation to the current key not finished yet?"""
    from residents.models import PiiRotation

    if not crypto.old_keys():
        return False
    return not PiiRotation.objects.filter(key_id=crypto.keys().key_id, finished_at__isnull=False).exists()


def _canonical(clear: str, field: str) -> str:
    """The value as a fresh write stores it: a phone in ``phones.phone_normalise``'s one
    form (a value it cannot read is kept as it is); the ID number's hash is taken of its
    18-character identity by ``crypto.lookup_hash`` itself (``crypto.hashed_form``)."""
    if field != "phone":
        return clear
    try:
        return phone_normalise(clear)
    except InvalidNumber:
        return clear


def _rewrite(value_blob: bytes, column: ProtectedColumn, row_hash: str | None) -> dict | None:
    """The new cipher (and hash and mask) for one value, or ``None`` when it is current
    already: then its hash equals the hash a fresh write of the value would store."""
    blob = bytes(value_blob or b"")
    if not blob:
        return None
    clear, used = crypto.decrypt_with(blob, field=column.field)
    canonical = _canonical(clear, column.field)
    current = crypto.keys()
    new_hash = crypto.lookup_hash(canonical, field=column.field) if column.hash else None
    if used.key_id == current.key_id and canonical == clear and (column.hash is None or row_hash == new_hash):
        return None
    changes = {column.cipher: crypto.encrypt(canonical, field=column.field)}
    if column.hash:
        changes[column.hash] = new_hash
    if column.mask and canonical != clear:
        changes[column.mask] = crypto.mask(canonical, field=column.field)
    return changes


def rotate_table(model: type[models.Model], columns: tuple[ProtectedColumn, ...], *, start_after: int,
                 on_batch=None, batch: int = BATCH, pause: float = 0.0) -> int:
    """Rewrite the table's protected values under the current key, in batches of ids after
    ``start_after``; ``on_batch(last_id)`` after each committed batch. Returns rows changed."""
    names = ["pk", *(c.cipher for c in columns), *(c.hash for c in columns if c.hash)]
    changed, last = 0, start_after
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk").values(*names)[:batch])
        if not rows:
            return changed
        with transaction.atomic():
            for row in rows:
                changed += _rotate_row(model, columns, row)
        last = rows[-1]["pk"]
        if on_batch is not None:
            on_batch(last)
        if pause:
            time.sleep(pause)  # leave the database to the users between batches


def _rotate_row(model, columns, row) -> int:
    """Rewrite one row's values that are not current. Compare and swap: a value is
    replaced only if it still holds what was read; a value a user wrote meanwhile is
    theirs, under the current key already, and stays."""
    per_column = []
    for column in columns:
        changes = _rewrite(row[column.cipher], column, row.get(column.hash))
        if changes:
            per_column.append(({column.cipher: bytes(row[column.cipher] or b"")}, changes))
    if not per_column:
        return 0
    rows = model.objects.filter(pk=row["pk"])
    together = {key: value for read, _changes in per_column for key, value in read.items()}
    if rows.filter(**together).update(**{k: v for _read, changes in per_column for k, v in changes.items()}):
        return 1
    # Someone changed the row since it was read: column by column, keep what they wrote.
    return int(any([rows.filter(**read).update(**changes) for read, changes in per_column]))


def rotate_files(model: type[models.Model], fields: tuple[str, ...], *, start_after: int, on_batch=None) -> int:
    from residents.files import reencrypt

    changed, last = 0, start_after
    while True:
        rows = list(model.objects.filter(pk__gt=last).order_by("pk")[:100])
        if not rows:
            return changed
        for row in rows:
            for name in fields:
                stored = getattr(row, name)
                if stored and stored.storage.exists(stored.name):
                    changed += reencrypt(stored.storage, stored.name)
        last = rows[-1].pk
        if on_batch is not None:
            on_batch(last)


def pii_key_rotate(*, log=None, batch: int = BATCH, pause: float = 0.0) -> dict[str, int]:
    """Move every protected value and file to the current key; resumable and idempotent.
    Returns the number of values (or files) rewritten per table."""
    from django.apps import apps

    from residents.models import PiiRotation

    key_id = crypto.keys().key_id
    rotation, _created = PiiRotation.objects.get_or_create(key_id=key_id)
    done: dict[str, int] = {}
    for label, columns in PROTECTED_TABLES.items():
        model = apps.get_model(label)

        def save(last, label=label):
            PiiRotation.objects.filter(pk=rotation.pk).update(progress={**_progress(rotation.pk), label: last})

        start = _progress(rotation.pk).get(label, 0)
        done[label] = rotate_table(model, columns, start_after=start, on_batch=save, batch=batch, pause=pause)
        if log:
            log(f"{label}: {done[label]} rows rewritten")
    for label, fields in FILE_TABLES.items():
        model = apps.get_model(label)
        key = f"{label}:files"

        def save_files(last, key=key):
            PiiRotation.objects.filter(pk=rotation.pk).update(progress={**_progress(rotation.pk), key: last})

        done[key] = rotate_files(model, fields, start_after=_progress(rotation.pk).get(key, 0), on_batch=save_files)
        if log:
            log(f"{label}: {done[key]} files re-encrypted")
    PiiRotation.objects.filter(pk=rotation.pk).update(finished_at=timezone.now())
    return done


def _progress(pk) -> dict:
    from residents.models import PiiRotation

    return PiiRotation.objects.filter(pk=pk).values_list("progress", flat=True).first() or {}
