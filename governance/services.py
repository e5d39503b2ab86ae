from django.utils import timezone

from governance.models import Heartbeat


def heartbeat_record(*, name: str) -> Heartbeat:
    beat, _ = Heartbeat.objects.update_or_create(name=name, defaults={"last_seen": timezone.now()})
    return beat


LAST_SWEEP_KEY = "governance:last-timer-sweep"


def timer_sweep_record(*, seconds: float, timers: int | None, ok: bool) -> None:
    """Remember the last run of the timer sweep for the metrics (``last_timer_sweep``).
    Kept in the shared cache: a lost record only blanks a gauge until the next sweep."""
    import logging

    from django.core.cache import cache

    finished = timezone.now()
    try:
        cache.set(LAST_SWEEP_KEY, {"finished": finished.timestamp(), "seconds": seconds, "timers": timers, "ok": ok},
                  timeout=None)
    except Exception:  # the cache (Redis) is down: the sweep itself is done and fine
        logging.getLogger(__name__).warning("could not record the timer sweep in the cache", exc_info=True)
