"""Rate limits per API client (its own ``throttle_rate`` or ``API_THROTTLE_RATE``) and
per signed-in user for session requests (``API_USER_THROTTLE_RATE``). Counters live in
the default cache: set CACHE_URL to Redis when several processes serve the API."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def allow_request(self, request, view):
        if not isinstance(request.auth, ApiClient):
            return True
        self.rate = request.auth.throttle_rate or settings.API_THROTTLE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self):
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SessionUserRateThrottle(SimpleRateThrottle):
    scope = "api_user"

    def get_rate(self):
        return settings.API_USER_THROTTLE_RATE

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiClient) or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
