"""/metrics (docs/deployment.md): only with the token or from a trusted network; the
figures follow the platform's state (timers due, open events by light, webhook backlog,
import jobs, the last sweep, requests per view)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from workflow.models import Timer, TimerState

OUTSIDE = "203.0.113.7"
TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8", "10.20.0.0/16"]
    return settings


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{") and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in the metrics")


@pytest.mark.django_db
@pytest.mark.parametrize(("address", "header", "allowed"), [
    (OUTSIDE, "", False),
    (OUTSIDE, "Bearer wrong-token", False),
    (OUTSIDE, f"Token {TOKEN}", False),
    (OUTSIDE, f"Bearer {TOKEN}", True),
    ("127.0.0.1", "", True),
    ("10.20.3.4", "", True),
    ("10.21.3.4", "", False),
], ids=["outside", "wrong-token", "wrong-scheme", "token", "loopback", "trusted-network", "other-network"])
def test_who_may_read_the_metrics(client, metrics_settings, address, header, allowed):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    response = client.get("/metrics", REMOTE_ADDR=address, **extra)

    assert response.status_code == (200 if allowed else 404)
    assert (b"governance_database_up 1.0" in response.content) is allowed


@pytest.mark.django_db
def test_behind_the_proxy_the_proxys_client_address_counts_not_the_proxy(client, metrics_settings):
    metrics_settings.BEHIND_HTTPS_PROXY = True

    from_internet = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=OUTSIDE)
    forged = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"127.0.0.1, {OUTSIDE}")
    local = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert (from_internet.status_code, forged.status_code, local.status_code) == (404, 404, 200)


@pytest.mark.django_db(transaction=True)
def test_the_figures_follow_the_platform(client, metrics_settings, file, cast):
    from workflow.sweep import timers_sweep_exclusive

    event = file()
    client.force_login(cast["dispatcher"])
    assert client.get("/events/").status_code == 200
    past = timezone.now() - timedelta(hours=3)
    running = Timer.objects.filter(event=event, state=TimerState.RUNNING)
    made_due = running.update(
        started_at=past, warn_at=past, due_at=past + timedelta(minutes=30), next_check_at=past + timedelta(minutes=30),
        escalate_at=timezone.now() + timedelta(hours=1))

    before = client.get("/metrics").content.decode()
    timers_sweep_exclusive()
    after = client.get("/metrics").content.decode()

    assert made_due >= 1
    assert metric(before, "governance_timers_due") == made_due
    assert metric(before, "governance_timer_sweep_lag_seconds") > 2 * 3600
    assert metric(before, 'governance_events_open{light="green"}') == 1
    assert metric(after, "governance_timers_due") == 0
    assert metric(after, 'governance_events_open{light="red"}') == 1
    assert 0 < metric(after, "governance_timer_sweep_last_duration_seconds") < 60
    assert metric(after, "governance_timer_sweep_lag_seconds") < 60
    assert metric(after, "governance_timer_sweep_last_timers") == made_due
    assert metric(after, "governance_notifications_pending") >= 1
    assert metric(after, 'governance_resident_imports{status="failed"}') == 0
    assert metric(after, "governance_webhook_deliveries_pending") == 0
    assert metric(after, 'governance_http_requests_total{method="GET",status="200",view="events:list"}') >= 1
    assert 'governance_http_request_duration_seconds_bucket{le="0.01",view="events:list"}' in after
    assert metric(after, "governance_broker_up") == 1


@pytest.mark.django_db
def test_the_lockout_gauge_counts_the_user_names_and_addresses_locked_out_now(client, metrics_settings, cast):
    from axes.models import AccessAttempt

    metrics_settings.AXES_FAILURE_LIMIT = 3

    def lockouts() -> tuple[float, float]:
        text = client.get("/metrics").content.decode()
        return metric(text, 'governance_login_lockouts{by="username"}'), metric(text, 'governance_login_lockouts{by="address"}')

    def fail(username, address):
        client.post("/accounts/login/", {"username": username, "password": "wrong"}, REMOTE_ADDR=address)

    assert lockouts() == (0, 0)
    for _attempt in range(2):
        fail("g11_worker", "10.9.9.1")
    assert lockouts() == (0, 0)  # under the limit
    fail("g11_worker", "10.9.9.2")  # the third failure of the user name, from another address
    assert lockouts() == (1, 0)
    for attempt in range(3):
        fail(f"guess{attempt}", "10.9.9.3")  # one address, three user names
    assert lockouts() == (1, 1)
    # Past the cool-off the lockouts are no longer in force.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=metrics_settings.AXES_COOLOFF_TIME * 60 + 1))
    assert lockouts() == (0, 0)
