"""Reporters' identity is personal data like residents' (DESIGN §4, docs/residents.md).

A report from the public page, the 12345 hotline, Open311 or the API may carry the
reporter's name and contact (phone or email). They are stored like residents' ID and
phone numbers: encrypted with the same key (``residents.crypto``, the field name bound
in), and masked in ``Event.reporter_name`` / ``Event.reporter_contact`` — which is all
that pages, API responses, Open311 and webhooks ever show. The clear values come out
only through

- ``event_reporter_reveal``: per event, with a reason, for the roles that call the
  reporter back (the command center, the grid's leader and full-time worker, the
  grid's police, administrators — on a node at or above the event's grid); each reveal
  is written to the personal-data access log; and
- ``reporter_identity``: for the platform itself (the rating link reaches the reporter
  by SMS or email).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scoping import access_event, user_scope
from residents import crypto
from residents.models import AccessAction
from residents.services import access_log_record

NAME, CONTACT = "reporter_name", "reporter_contact"
REVEAL_ROLES = (Role.DISPATCHER, Role.GRID_LEADER, Role.GRID_WORKER, Role.POLICE, Role.ADMIN)


@dataclass(frozen=True)
class ReporterIdentity:
    name: str
    contact: str


def mask_name(name: str) -> str:
    """张** : the first character (the family name) only."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_contact(contact: str) -> str:
    """``138****1001`` for a phone (as residents'), ``z***@example.cn`` for an email."""
    contact = contact.strip()
    if not contact:
        return ""
    if "@" in contact:
        local, _at, domain = contact.partition("@")
        return (local[:1] or "*") + "***@" + domain
    digits = "".join(ch for ch in contact if ch.isdigit() or ch == "-")
    if len(digits.replace("-", "")) >= 7:
        return crypto.mask_phone(digits[-11:] if len(digits) > 11 and "-" not in digits else digits)
    return "*" * len(contact)


def reporter_fields(*, name: str, contact: str) -> dict:
    """The model fields for a reporter's name and contact: masks and ciphers."""
    name, contact = (name or "").strip()[:60], (contact or "").strip()[:120]
    return {
        NAME: mask_name(name),
        "reporter_name_cipher": crypto.encrypt(name, field=NAME) if name else b"",
        CONTACT: mask_contact(contact),
        "reporter_contact_cipher": crypto.encrypt(contact, field=CONTACT) if contact else b"",
    }


def reporter_identity(event) -> ReporterIdentity:
    """The clear name and contact, for the platform's own use (the rating link by SMS or email)."""
    name = crypto.decrypt(event.reporter_name_cipher, field=NAME) if event.reporter_name_cipher else ""
    contact = crypto.decrypt(event.reporter_contact_cipher, field=CONTACT) if event.reporter_contact_cipher else ""
    return ReporterIdentity(name=name, contact=contact)


def can_reveal_reporter(user, event) -> bool:
    if not (event.reporter_name_cipher or event.reporter_contact_cipher):
        return False
    scope = user_scope(user)
    return scope.is_global or scope.holds_role_over(event.grid.path, *REVEAL_ROLES)


def event_reporter_reveal(*, actor, event, reason: str) -> ReporterIdentity:
    """The reporter's clear name and contact for a role allowed to call them back, with a
    reason; logged before it is returned."""
    event = access_event(actor, event.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for seeing this personal data.")})
    if not can_reveal_reporter(actor, event):
        raise PermissionDenied(_("Your role may not reveal the reporter's identity."))
    identity = reporter_identity(event)
    with transaction.atomic():
        access_log_record(actor=actor, action=AccessAction.REVEAL, field="reporter", reason=reason,
                          filters={"event": event.pk, "code": event.code})
    return identity
