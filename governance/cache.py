"""The shared cache, degraded rather than down: ``FallbackRedisCache``.

Rate limits (the API's throttles, the public report page) and everything else that uses
the default cache go through it. When Redis does not answer, each call is served from a
per-process memory cache instead — limits then count per process, which is looser but
keeps every page and the API up — and a warning is logged (at most once per
``CACHE_FALLBACK_SECONDS``). Redis is tried again after that long."""

import logging
import threading
import time
import uuid

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


class Derived:
    """Values derived from rows that change rarely and are read on every filing or
    transition (SLA limits, who works at a command center, webhook subscriptions, an
    area's command center): kept in this process's memory under a *version token* held
    in the shared cache, so one cache read replaces a database query.

    ``invalidate()`` (called when the rows change: saving or deleting them) gives the
    namespace a new token at once and again when the transaction commits, so every process
    reads the rows afresh; inside the changing transaction the namespace is read from
    the database, never from memory, so a rolled-back change leaves nothing behind.
    A process trusts the token it read for ``TOKEN_SECONDS``: a change made in another
    process is seen that much later (one made in this process at once). During a Redis
    outage the token lives in each process's fallback memory: a change made in another
    process is then seen within ``LOCAL_SECONDS``."""

    LOCAL_SECONDS = 60
    LOCAL_ENTRIES = 5000
    # How long a process trusts the token it read (a change made in another process is
    # seen this much later; one made in this process at once).
    TOKEN_SECONDS = 1.0

    instances: list = []
    _connection = None

    def __init__(self, name: str):
        self.name = name
        Derived.instances.append(self)
        self._values: dict = {}
        self._stored_token = ""
        self._seen = ("", 0.0)  # the token and until when it is trusted
        self._lock = threading.Lock()
        self._dirty = threading.local()

    def _token_key(self) -> str:
        return f"derived:{self.name}:token"

    @staticmethod
    def _shared():
        """The default cache's configuration in an instance of its own: its outages are
        noticed (and logged) on their own, apart from the rate limits' instance."""
        from django.core.cache import caches

        config = settings.CACHES["default"]
        current = Derived._connection
        if current is None or current[0] is not config:
            current = Derived._connection = (config, caches.create_connection("default"))
        return current[1]

    def _token(self) -> str:
        cache = self._shared()
        token, until = self._seen
        if time.monotonic() < until:
            return token
        token = cache.get(self._token_key())
        if token is None:
            cache.add(self._token_key(), uuid.uuid4().hex, timeout=None)
            token = cache.get(self._token_key()) or ""
        self._seen = (token, time.monotonic() + self.TOKEN_SECONDS)
        return token

    def _renew(self) -> None:
        cache = self._shared()
        token = uuid.uuid4().hex
        cache.set(self._token_key(), token, timeout=None)
        self._seen = (token, time.monotonic() + self.TOKEN_SECONDS)

    def changing(self) -> bool:
        """Did this transaction change what the namespace derives from? (``get`` then
        computes every time, and a caller may rather read just what it needs.)"""
        from django.db import connection

        if not getattr(self._dirty, "marked", False):
            return False
        if connection.in_atomic_block:
            return True
        self._dirty.marked = False  # that transaction has ended (committed or rolled back)
        return False

    def get(self, key, compute):
        """``compute()`` once per token (and at most every ``LOCAL_SECONDS``)."""
        if self.changing():
            return compute()
        token = self._token()
        now = time.monotonic()
        entry = self._values.get((token, key))
        if entry is not None and entry[0] > now:
            return entry[1]
        value = compute()
        with self._lock:
            if len(self._values) >= self.LOCAL_ENTRIES or token != self._stored_token:
                self._values.clear()  # (an older token's values are never read again)
                self._stored_token = token
            self._values[(token, key)] = (now + self.LOCAL_SECONDS, value)
        return value

    def invalidate(self, **_signal) -> None:
        """A new token now and after the commit (usable as a signal receiver)."""
        from django.db import connection, transaction

        self._renew()
        if connection.in_atomic_block:
            self._dirty.marked = True

            def committed():
                self._renew()
                self._dirty.marked = False

            transaction.on_commit(committed)

    def clear(self) -> None:
        """Forget this process's values (tests start each case with none)."""
        with self._lock:
            self._values.clear()
        self._seen = ("", 0.0)
        self._dirty.marked = False


def derived_clear_all() -> None:
    for derived in Derived.instances:
        derived.clear()


def derived_invalidate_all() -> None:
    """A change that no signal announces and that every namespace may depend on (an area
    moved with its subtree by raw SQL: scopes, command centers, subscriptions)."""
    for derived in Derived.instances:
        derived.invalidate()
