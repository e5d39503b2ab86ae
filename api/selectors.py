"""Reads for API clients: the client a key belongs to."""

import hmac

from api.models import ApiClient
from api.services import key_hash
from governance.prepared import Prepared

# Every API request looks its key up: composed once per process (governance.prepared);
# composing it through the ORM cost about as much as running it.
_CLIENT_BY_PREFIX = Prepared(
    lambda prefix: ApiClient.objects.filter(prefix=prefix, revoked_at__isnull=True, user__is_active=True)
    .select_related("user")[:1],
    markers=("~prefix-marker~",),  # no prefix looks like it (prefixes are hex)
)


def api_client_for_key(key: str | None) -> ApiClient | None:
    """The active client whose key this is (its user active too), else ``None``.
    One indexed lookup by prefix, then a constant-time comparison of the hashes."""
    if not key or "." not in key or len(key) > 200:
        return None
    prefix = key.split(".", 1)[0]
    client = _CLIENT_BY_PREFIX.first(prefix)
    if client is None or not hmac.compare_digest(client.key_hash, key_hash(key)):
        return None
    return client
