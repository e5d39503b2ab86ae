"""A fixed-window rate limit in the shared cache (Redis in production; files under
var/cache in the embedded mode), so every web process counts the same hits."""

from django.conf import settings
from django.core.cache import cache

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """``"5/h"`` → (5, 3600)."""
    count, _slash, period = rate.partition("/")
    return int(count), _PERIODS[period.strip()[:1]]


def rate_limit_hit(scope: str, key: str, rate: str) -> bool:
    """Count one hit of ``key``; True when it goes over ``rate`` in the current window."""
    limit, window = parse_rate(rate)
    cache_key = f"ratelimit:{scope}:{key}"
    # add() creates the counter with the window's expiry only if it is not there yet;
    # incr() is atomic on Redis.
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=window)
        count = 1
    return count > limit


def client_address(request) -> str:
    """The client's address. Behind the HTTPS proxy it is the last X-Forwarded-For
    entry, the one our proxy added (earlier entries come from the client and can be
    made up to dodge the limit)."""
    if getattr(settings, "BEHIND_HTTPS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"
