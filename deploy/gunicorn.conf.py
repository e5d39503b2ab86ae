"""gunicorn settings of the web process (deploy/entrypoint.sh web). Environment:
WEB_BIND (default 0.0.0.0:8000), WEB_CONCURRENCY (worker processes, default 4),
WEB_TIMEOUT (seconds, default 60)."""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# The platform writes one line per request itself (governance.requestlog), with its
# request id and without the query string; gunicorn's access log would repeat it.
accesslog = None
errorlog = "-"
# A worker that has answered this many requests is replaced (bounds slow leaks).
max_requests = 2000
max_requests_jitter = 200


def child_exit(server, worker):
    """A gone worker's live gauges leave the shared metrics (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
