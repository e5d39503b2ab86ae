"""Writes for API clients: create (the key is returned once), revoke, mark as used."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.scoping import users_manageable_by
from api.models import ApiClient

# last_used_at is written at most this often per client (not once per request).
TOUCH_INTERVAL = timedelta(seconds=60)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _require_manage_user(actor, user) -> None:
    """Operators (``actor=None``: the management command) may bind any user; an
    administrator only users they manage."""
    if actor is None:
        return
    if not users_manageable_by(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("You may only create API clients for users you manage."))


def api_client_create(*, actor, name: str, user, throttle_rate: str = "") -> tuple[ApiClient, str]:
    """Create a client acting as ``user``. Returns ``(client, key)``; the key is not
    stored and cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the client a name.")})
    if not user.is_active:
        raise ValidationError({"user": _("The user is not active.")})
    _require_manage_user(actor, user)
    prefix = secrets.token_hex(6)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        client = ApiClient(name=name[:100], user=user, prefix=prefix, key_hash=key_hash(key), throttle_rate=throttle_rate,
                           created_by=actor)
        client.full_clean(exclude=["prefix", "key_hash"])
        client.save()
        audit_record(actor=actor, action="api_client_create", obj=client, changes={"user": user.username, "prefix": prefix})
    return client, key


def api_client_revoke(*, actor, client: ApiClient) -> ApiClient:
    """Revoke at once: the next request with the key is refused. Idempotent."""
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().select_related("user").get(pk=client.pk)
        _require_manage_user(actor, client.user)
        if client.revoked_at is not None:
            return client
        client.revoked_at = timezone.now()
        client.revoked_by = actor
        client.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(actor=actor, action="api_client_revoke", obj=client, changes={"prefix": client.prefix})
    return client


def api_client_touch(*, client: ApiClient) -> None:
    """Record that the client was used: one conditional UPDATE at most once a minute."""
    now = timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < TOUCH_INTERVAL:
        return
    ApiClient.objects.filter(pk=client.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_INTERVAL)
    ).update(last_used_at=now)
    client.last_used_at = now
