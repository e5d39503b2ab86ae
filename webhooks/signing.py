"""The signature of a delivery, and its check (what a receiver does, see docs/api.md).

``X-Webhook-Signature: v1=<hex>`` where ``hex`` is HMAC-SHA256 with the subscription's
secret over ``<X-Webhook-Timestamp>.<raw body>``; a receiver refuses a timestamp older
than a few minutes, so a captured delivery cannot be replayed later."""

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, timestamp: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - moment) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, moment, body), header or "")
