"""Production mode (DEBUG off) refuses to start without a real secret key or without the
key protecting residents' personal data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRET = "k" * 20 + "-a-real-random-looking-secret-0123456789"
PII_KEY = "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q="


def boot(**env):
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "GOVERNANCE_PII_KEY")}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "governance.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": "django-insecure-grid-governance-development-only"},
        {"DEBUG": "0"},
        {"DEBUG": "false", "SECRET_KEY": "django-insecure-grid-governance-development-only"},
    ],
)
def test_production_refuses_a_missing_or_default_secret(env):
    result = boot(**env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_secret():
    result = boot(SECRET_KEY="short")

    assert result.returncode != 0
    assert "at least 32 characters" in result.stderr


def test_production_starts_with_a_real_secret():
    result = boot(SECRET_KEY=REAL_SECRET, GOVERNANCE_PII_KEY=PII_KEY)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_debug_mode_may_use_the_development_key():
    result = boot(DEBUG="1")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize("key", [None, "", "not-base64!", "c2hvcnQ="], ids=["missing", "empty", "garbage", "short"])
def test_production_refuses_a_missing_or_bad_personal_data_key(key):
    env = {"SECRET_KEY": REAL_SECRET}
    if key is not None:
        env["GOVERNANCE_PII_KEY"] = key

    result = boot(**env)

    assert result.returncode != 0
    assert "GOVERNANCE_PII_KEY" in result.stderr


def test_debug_mode_needs_no_personal_data_key():
    assert boot(DEBUG="1").returncode == 0
