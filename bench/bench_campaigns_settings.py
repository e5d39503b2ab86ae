"""Settings of bench_campaigns.py: the platform's settings with rate limits high enough
not to limit the load (the limiting code still runs)."""

from governance.settings import *  # noqa: F403

API_THROTTLE_RATE = "1000000/second"
API_USER_THROTTLE_RATE = "1000000/second"
