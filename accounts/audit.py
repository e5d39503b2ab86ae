"""The one helper that writes configuration audit rows."""

from accounts.models import AuditEntry


def audit_record(*, actor, action: str, obj, changes: dict | None = None) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=obj._meta.model_name,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes or {},
    )
