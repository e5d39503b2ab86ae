"""Prometheus metrics for a city's monitoring (docs/deployment.md), with prometheus-client.

- Requests and their latency per view (``governance_http_*``), counted by
  ``RequestLogMiddleware``. Under gunicorn the web processes share them through
  ``PROMETHEUS_MULTIPROC_DIR`` (``deploy/entrypoint.sh`` sets it up).
- The platform's state, read when scraped (``PlatformCollector``): Celery queue depth,
  timers waiting for the sweep and the sweep's lag, open events by light (red =
  overdue), the last sweep's duration, the heartbeat's age, resident import jobs by
  status, the webhook backlog, pending notification copies, and login lockouts
  (django-axes, when installed).

``/metrics`` answers only a request with the ``METRICS_TOKEN`` (``Authorization:
Bearer …``) or from an address in ``METRICS_ALLOWED_NETWORKS``; anything else gets the
plain 404 of a missing page.
"""

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

logger = logging.getLogger(__name__)

REQUESTS = Counter("governance_http_requests", "HTTP requests by view, method and status",
                   ["view", "method", "status"], registry=None)
LATENCY = Histogram("governance_http_request_duration_seconds", "Time to answer a request, by view", ["view"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=None)


def request_observe(*, view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    LATENCY.labels(view=view).observe(seconds)


def _gauge(name, documentation, value, labels=None):
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    if labels:
        family.add_metric(list(labels.values()), value)
    else:
        family.add_metric([], value)
    return family


def celery_queue_length(queue: str = "celery") -> int:
    """Messages waiting in a Celery queue (Redis lists, or the embedded broker's files)."""
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                    connect_timeout=2) as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        # kombu's virtual transports (Redis, filesystem) count a queue with its priority
        # sub-queues in ``_size``; a queue no worker has declared yet is simply empty.
        return connection.default_channel._size(queue)


class PlatformCollector:
    """Gauges computed at scrape time from the database, the broker and the cache. Each
    part is guarded: a broker outage shows as ``governance_broker_up 0``, not a failed scrape."""

    def collect(self):
        from django.utils import timezone

        now = timezone.now()
        try:
            depth = celery_queue_length()
            yield _gauge("governance_broker_up", "1 when the Celery broker answers", 1)
            yield _gauge("governance_celery_queue_length", "Tasks waiting in the Celery queue", depth, {"queue": "celery"})
        except Exception as error:
            logger.warning("metrics: broker unreachable: %s", type(error).__name__)
            yield _gauge("governance_broker_up", "1 when the Celery broker answers", 0)
        try:
            yield from self._database(now)
        except Exception as error:
            logger.warning("metrics: database figures failed: %s", type(error).__name__)
            yield _gauge("governance_database_up", "1 when the database answers", 0)
        yield from self._sweep(now)

    def _database(self, now):
        from django.db.models import Count, Min

        from events.models import Event
        from governance.selectors import background_status
        from residents.models import ResidentImport
        from webhooks.models import DeliveryState as WebhookState
        from webhooks.models import WebhookDelivery
        from workflow.machine import OPEN_STATES
        from workflow.models import DeliveryState, Notification, Timer, TimerState

        due = Timer.objects.filter(state=TimerState.RUNNING, next_check_at__lte=now).aggregate(
            count=Count("id"), oldest=Min("next_check_at"))
        yield _gauge("governance_database_up", "1 when the database answers", 1)
        yield _gauge("governance_timers_due", "Running timers whose next check has passed (waiting for the sweep)", due["count"])
        yield _gauge("governance_timer_sweep_lag_seconds", "How long the oldest due timer has waited for the sweep",
                     (now - due["oldest"]).total_seconds() if due["oldest"] else 0)
        lights = GaugeMetricFamily("governance_events_open", "Open events by traffic light (red: overdue)", labels=["light"])
        counts = dict(Event.objects.filter(state__in=OPEN_STATES).order_by().values_list("light").annotate(n=Count("id")))
        for light in ("green", "yellow", "red"):
            lights.add_metric([light], counts.get(light, 0))
        yield lights
        beat = background_status()
        yield _gauge("governance_heartbeat_age_seconds", "Seconds since beat and a worker last ran the heartbeat task",
                     (now - beat.last_seen).total_seconds() if beat.last_seen else float("inf"))
        imports = GaugeMetricFamily("governance_resident_imports", "Resident import jobs by status", labels=["status"])
        by_status = dict(ResidentImport.objects.order_by().values_list("status").annotate(n=Count("id")))
        for status in ("pending", "running", "done", "failed"):
            imports.add_metric([status], by_status.get(status, 0))
        yield imports
        backlog = WebhookDelivery.objects.filter(state=WebhookState.PENDING).aggregate(count=Count("id"), oldest=Min("created_at"))
        yield _gauge("governance_webhook_deliveries_pending", "Webhook deliveries not yet accepted by their receiver",
                     backlog["count"])
        yield _gauge("governance_webhook_oldest_pending_seconds", "Age of the oldest pending webhook delivery",
                     (now - backlog["oldest"]).total_seconds() if backlog["oldest"] else 0)
        pending = (Notification.objects.filter(email_state=DeliveryState.PENDING)
                   | Notification.objects.filter(sms_state=DeliveryState.PENDING)).count()
        yield _gauge("governance_notifications_pending", "Notifications whose email or SMS copy is not sent yet", pending)
        yield from self._lockouts()

    def _lockouts(self):
        """User names and client addresses locked out now: failures within the cool-off
        (LOGIN_LOCKOUT_MINUTES) add up to the limit, counted per user name and per address
        the way axes decides (accounts/lockout.py)."""
        from django.apps import apps

        if not apps.is_installed("axes"):
            return
        from axes.helpers import get_cool_off
        from axes.models import AccessAttempt
        from django.db.models import Sum
        from django.utils import timezone

        from accounts.lockout import API_KEY_USERNAME

        limit = getattr(settings, "AXES_FAILURE_LIMIT", 3)
        cool_off = get_cool_off()
        attempts = AccessAttempt.objects.order_by()
        if cool_off is not None:
            attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
        family = GaugeMetricFamily("governance_login_lockouts", "Login lockouts in force (django-axes), per user name and per address",
                                   labels=["by"])
        # A wrong API key counts for its address only (its user name is a placeholder).
        for label, field, skip in (("username", "username", API_KEY_USERNAME), ("address", "ip_address", None)):
            locked = (attempts.exclude(**{f"{field}__isnull": True}).exclude(**{field: skip} if skip else {}).values(field)
                      .annotate(failures=Sum("failures_since_start")).filter(failures__gte=limit).count())
            family.add_metric([label], locked)
        yield family

    def _sweep(self, now):
        from governance.selectors import last_timer_sweep

        run = last_timer_sweep()
        if run is None:
            return
        yield _gauge("governance_timer_sweep_last_duration_seconds", "Duration of the last timer sweep", run.seconds)
        yield _gauge("governance_timer_sweep_last_finished_seconds_ago", "Seconds since the last timer sweep ended",
                     (now - run.finished).total_seconds())
        yield _gauge("governance_timer_sweep_last_timers", "Timers the last sweep looked at", run.timers or 0)
        yield _gauge("governance_timer_sweep_last_ok", "1 when the last sweep succeeded", 1 if run.ok else 0)


def metrics_allowed(request) -> bool:
    """The token, or an address in the trusted networks. Behind the HTTPS proxy the
    address is the one the proxy saw (events.ratelimit.client_address), so a request
    from the internet never counts as local because the proxy runs on this machine."""
    from events.ratelimit import client_address

    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics_response() -> HttpResponse:
    started = time.perf_counter()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(PlatformCollector())
    body = generate_latest(registry)
    body += (f"# HELP governance_scrape_seconds Time to collect these metrics\n"
             f"# TYPE governance_scrape_seconds gauge\ngovernance_scrape_seconds {time.perf_counter() - started:.4f}\n").encode()
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
