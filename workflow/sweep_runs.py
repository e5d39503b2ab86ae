"""The sweep's lease: beat never starts a sweep while one is running.

A sweep takes the ``SweepRun`` row of its name with one conditional ``UPDATE`` (free, or
its holder silent for ``TIMER_SWEEP_LEASE_SECONDS``): of two workers that try at once,
the database lets exactly one through. The holder renews the lease after each batch
(which also records its progress) and frees it at the end, leaving the run's start, end
and counts on the row for monitoring. A holder killed with ``kill -9`` cannot free it:
its lease runs out and the next beat tick takes over."""

import logging
import secrets
import socket
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from workflow.models import SweepRun

logger = logging.getLogger(__name__)


def sweep_run_acquire(*, name: str) -> str | None:
    """Take the lease; returns its token, or ``None`` when another sweep holds it."""
    SweepRun.objects.get_or_create(name=name)
    now = timezone.now()
    stale = now - timedelta(seconds=settings.TIMER_SWEEP_LEASE_SECONDS)
    token = f"{socket.gethostname()}:{secrets.token_hex(6)}"
    taken = (SweepRun.objects.filter(name=name).filter(Q(holder="") | Q(renewed_at__lt=stale) | Q(renewed_at__isnull=True))
             .update(holder=token, started_at=now, renewed_at=now, finished_at=None, timers=0, escalated=0, batches=0))
    if not taken:
        SweepRun.objects.filter(name=name).update(skipped_ticks=F("skipped_ticks") + 1)
        return None
    return token


def sweep_run_progress(*, name: str, token: str, report) -> bool:
    """Renew the lease and record the progress; False when the lease was lost (the sweep
    was silent too long and another took over), so the caller stops."""
    kept = SweepRun.objects.filter(name=name, holder=token).update(
        renewed_at=timezone.now(), timers=report.timers, escalated=report.escalated, batches=report.batches)
    if not kept:
        logger.warning("sweep %s lost its lease after %d batches; stopping", name, report.batches)
    return bool(kept)


def sweep_run_release(*, name: str, token: str, report) -> None:
    now = timezone.now()
    SweepRun.objects.filter(name=name, holder=token).update(
        holder="", renewed_at=now, finished_at=now, timers=report.timers, escalated=report.escalated, batches=report.batches)
