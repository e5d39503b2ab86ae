"""Settings of bench_api.py: the platform's settings plus the baseline app (a one-field
model in its own database, BARE_DATABASE_URL) and its URL, and rate limits high enough
not to limit the load (the limiting code still runs)."""

from governance.settings import *  # noqa: F403
from governance.settings import INSTALLED_APPS, env

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchbare"]
DATABASES = {**DATABASES, "bare": env.db("BARE_DATABASE_URL")}  # noqa: F405
DATABASES["bare"].setdefault("CONN_MAX_AGE", 60)
DATABASE_ROUTERS = ["bench.benchbare.router.BareRouter"]
ROOT_URLCONF = "bench.bench_urls"
API_THROTTLE_RATE = "1000000/second"
API_USER_THROTTLE_RATE = "1000000/second"
# Keys of their own: a test run on the same Redis database (tests change roles and SLA
# limits all the time) must not renew the tokens of the bench's derived values.
CACHES = {**CACHES, "default": {**CACHES["default"], "KEY_PREFIX": "bench-api"}}  # noqa: F405
