"""Health of a running platform: is the process up (``/healthz``) and is everything it
needs there (``/readyz``: database, cache, broker, the beat → worker heartbeat, all
migrations applied).

Answers say only which check failed and a short reason class (``OperationalError``,
``stale``): no host names, no personal data, no tracebacks. The checks are the same
for the web's endpoints and for ``deploy/entrypoint.sh ready`` (the beat container's
health check).
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

_migrations_applied = False  # once true it stays true for this process


def check_database() -> str | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return None


def check_cache() -> str | None:
    from django.core.cache import cache

    cache.set("governance:readyz", "1", timeout=30)
    return None if cache.get("governance:readyz") == "1" else "unreadable"


def check_broker() -> str | None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                    connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
    return None


def check_heartbeat() -> str | None:
    from governance.selectors import background_status

    status = background_status()
    if status.last_seen is None:
        return "missing"
    return None if status.healthy else "stale"


def check_migrations() -> str | None:
    global _migrations_applied
    if _migrations_applied:
        return None
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return "pending"
    _migrations_applied = True
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "broker": check_broker,
    "heartbeat": check_heartbeat,
}


def readiness(*, only=None) -> dict[str, str]:
    """``{check: "ok" | reason}`` for every check; a check that raises is reported by
    the exception's class name only (its message may hold a host or a password)."""
    results = {}
    for name, check in CHECKS.items():
        if only and name not in only:
            continue
        try:
            problem = check()
        except Exception as error:
            logger.warning("readiness check %s failed: %s", name, type(error).__name__)
            problem = type(error).__name__
        results[name] = problem or "ok"
    return results
