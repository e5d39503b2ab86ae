"""The operations endpoints, answered before anything else runs.

``/healthz``, ``/readyz`` and ``/metrics`` are asked by health checks and by Prometheus
on the container's own address, over plain HTTP: they are answered here, ahead of the
host check (``ALLOWED_HOSTS``), the HTTPS redirect, sessions and the request log, so a
health check every few seconds neither needs the public host name nor fills the log.
"""

from django.http import HttpResponse, JsonResponse


class OperationsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path == "/healthz":
            return HttpResponse("ok\n", content_type="text/plain")
        if path == "/readyz":
            from governance.health import readiness

            checks = readiness()
            ready = all(value == "ok" for value in checks.values())
            return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)
        if path == "/metrics":
            from governance.metrics import metrics_allowed, metrics_response

            if not metrics_allowed(request):
                return HttpResponse(b"Not Found\n", status=404, content_type="text/plain")
            return metrics_response()
        return self.get_response(request)
