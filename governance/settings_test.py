"""Settings for the test suite: the normal settings plus a test-only secret.

The suite runs against PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are
set, and against SQLite with the embedded filesystem broker otherwise.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
# A fixed test-only key for residents' personal data (base64 of 32 bytes).
os.environ.setdefault("GOVERNANCE_PII_KEY", "dGVzdC1vbmx5LXBpaS1rZXktMDEyMzQ1Njc4OWFiY2Q=")
os.environ.setdefault("GOVERNANCE_VAR_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), "var", "test"))

from governance.settings import *  # noqa: E402,F403
from governance.settings import DATABASES, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Boundaries change inside tests and are read back at once.
GRID_INDEX_CHECK_SECONDS = 0
# A file, not memory: a real Celery worker started by a test reads the same database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# No collectstatic before tests: serve static names as they are.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WORK_CALENDAR_CHECK_SECONDS = 0
MAP_TILE_URL = ""  # tests never reach the internet
PUBLIC_REPORT_RATE = "1000/m"  # tests that check the limit set their own
