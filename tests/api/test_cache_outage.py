"""A cache outage takes nothing down: with the cache on a dead port, the API (with its
per-key throttle) and the public report page (with its rate limit) keep answering and
keep limiting, per process, and the outage is logged."""

import logging
import os
import subprocess
import sys
import uuid

import pytest
from django.core.cache import caches
from django.urls import reverse

from events.models import Category, Event
from tests.conftest import INSIDE_G11
from tests.governance.test_settings import ROOT

DEAD_CACHE = {"default": {"BACKEND": "governance.cache.FallbackRedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                          "KEY_PREFIX": "outage-test"}}


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = DEAD_CACHE  # Django drops its cache connections on this change
    assert type(caches["default"]).__name__ == "FallbackRedisCache"
    yield caches["default"]


def test_the_api_answers_and_throttles_per_process_with_the_cache_down(dead_cache, as_user, cast, caplog):
    limited = as_user(cast["dispatcher"], throttle_rate="3/minute")
    with caplog.at_level(logging.WARNING, logger="governance.cache"):
        codes = [limited.get("/api/v1/categories/").status_code for _ in range(4)]
        events = limited.get("/api/v1/events/")
    assert codes == [200, 200, 200, 429]
    assert events.status_code == 429  # the same key, still counted
    assert as_user(cast["dispatcher"]).get("/api/v1/events/").status_code == 200
    assert "cache unavailable" in caplog.text


def test_the_public_report_files_and_limits_with_the_cache_down(dead_cache, client, tree, reference_data, settings,
                                                                caplog):
    settings.PUBLIC_REPORT_RATE = "2/h"
    category = Category.objects.filter(parent__isnull=False).order_by("code").first()
    address = f"10.{uuid.uuid4().int % 250}.3.7"

    def report():
        form = {"category": category.pk, "description": "路灯坏了", **INSIDE_G11, "idempotency_key": uuid.uuid4().hex,
                "reporter_name": "李四", "reporter_contact": "13900001111"}
        return client.post(reverse("public_report"), form, REMOTE_ADDR=address).status_code

    with caplog.at_level(logging.WARNING, logger="governance.cache"):
        codes = [report() for _ in range(3)]
        page = client.get(reverse("public_report"))
    assert codes == [302, 302, 429]
    assert Event.objects.count() == 2
    assert page.status_code == 200
    assert "cache unavailable" in caplog.text


def test_a_redis_cache_url_gets_the_fallback():
    env = {"DEBUG": "1", "CACHE_URL": "redis://127.0.0.1:1/0", "DJANGO_SETTINGS_MODULE": "governance.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                               "print(settings.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "governance.cache.FallbackRedisCache", result.stderr
