"""The shared cache, degraded rather than down: ``FallbackRedisCache``.

Rate limits (the API's throttles, the public report page) and everything else that uses
the default cache go through it. When Redis does not answer, each call is served from a
per-process memory cache instead — limits then count per process, which is looser but
keeps every page and the API up — and a warning is logged (at most once per
``CACHE_FALLBACK_SECONDS``). Redis is tried again after that long."""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("governance.cache")

# What a dead, refusing or hanging Redis raises (redis-py's errors derive from these).
try:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    OUTAGE_ERRORS: tuple = (RedisConnectionError, RedisTimeoutError, OSError)
except ImportError:  # pragma: no cover - redis is a pinned requirement
    OUTAGE_ERRORS = (OSError,)

_OPERATIONS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many", "clear")


class FallbackRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # Fail fast: a cache that hangs would hold every request that counts a hit.
        options.setdefault("socket_connect_timeout", 1.0)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})
        self._local = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300),
                                                           "KEY_PREFIX": params.get("KEY_PREFIX", "")})
        self._down_until = 0.0
        self._state = threading.Lock()

    def _outage(self, operation: str, error: Exception) -> None:
        with self._state:
            first = time.monotonic() >= self._down_until
            self._down_until = time.monotonic() + settings.CACHE_FALLBACK_SECONDS
        if first:
            logger.warning("cache unavailable (%s in %s): counting in this process for the next %s s",
                           type(error).__name__, operation, settings.CACHE_FALLBACK_SECONDS)

    def _call(self, operation: str, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return getattr(self._local, operation)(*args, **kwargs)
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except OUTAGE_ERRORS as error:
            self._outage(operation, error)
            return getattr(self._local, operation)(*args, **kwargs)


def _delegate(operation: str):
    def method(self, *args, **kwargs):
        return self._call(operation, *args, **kwargs)

    method.__name__ = operation
    return method


for _operation in _OPERATIONS:
    setattr(FallbackRedisCache, _operation, _delegate(_operation))
