"""One log line per request and per Celery task, tied together by a request id.

Each request gets an id (the proxy's ``X-Request-ID`` when it sends a sane one, else a
new one), answered in the ``X-Request-ID`` header and attached to every log record
written while the request runs. A task queued by the request carries the id in its
message headers, so the worker's line of that task names the same id; a task queued by
beat gets its own id (its task id).

The lines hold what operators need and no personal data: method, path without the query
string (searches by name or ID number travel in query strings), the view's name, status,
duration, the user's numeric id; never usernames, addresses, bodies or task arguments.
``LOG_FORMAT=json`` writes each record as one JSON object (``JsonFormatter``).
"""

import contextvars
import json
import logging
import re
import time
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun

request_log = logging.getLogger("governance.request")
task_log = logging.getLogger("governance.task")

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    return _request_id.get()


def new_request_id(incoming: str | None = None) -> str:
    """The proxy's id when it is a plain token of sane length, else a fresh one (an id
    is written to every log line, so nothing a client makes up beyond that gets in)."""
    if incoming and _VALID_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request or task)."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, the fields
    passed with ``extra=`` and, for errors, the exception type (the traceback only in
    ``exc`` so that log collectors can keep it out of dashboards)."""

    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            line["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class RequestLogMiddleware:
    """Sets the request id, and writes the request's line and its metrics when it ends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from governance.metrics import request_observe

        token = _request_id.set(new_request_id(request.META.get("HTTP_X_REQUEST_ID")))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = match.view_name if match else "-"
            request_observe(view=view, method=request.method, status=response.status_code, seconds=elapsed)
            user = getattr(request, "user", None)
            request_log.info(
                "%s %s %s %d %.1fms", request.method, request.path, view, response.status_code, elapsed * 1000,
                extra={"method": request.method, "path": request.path, "view": view, "status": response.status_code,
                       "duration_ms": round(elapsed * 1000, 1),
                       "user_id": user.pk if user is not None and user.is_authenticated else None},
            )
            response[HEADER] = _request_id.get()
            return response
        finally:
            _request_id.reset(token)


# --- Celery: carry the id into queued tasks, one line per task ---------------------------

_task_started: dict[str, tuple[float, contextvars.Token]] = {}


@before_task_publish.connect(dispatch_uid="governance.requestlog.publish")
def _stamp_request_id(headers=None, **kwargs):
    if headers is not None and _request_id.get():
        headers.setdefault("request_id", _request_id.get())


@task_prerun.connect(dispatch_uid="governance.requestlog.prerun")
def _task_begins(task_id=None, task=None, **kwargs):
    incoming = getattr(task.request, "request_id", None) if task is not None else None
    token = _request_id.set(new_request_id(incoming or task_id))
    _task_started[task_id] = (time.perf_counter(), token)


@task_postrun.connect(dispatch_uid="governance.requestlog.postrun")
def _task_ends(task_id=None, task=None, state=None, **kwargs):
    started, token = _task_started.pop(task_id, (None, None))
    elapsed = time.perf_counter() - started if started is not None else 0.0
    name = getattr(task, "name", "?")
    extra = {"task": name, "task_id": task_id, "state": state, "duration_ms": round(elapsed * 1000, 1)}
    gathered = getattr(task.request, "request_ids", None) if task is not None else None
    if isinstance(gathered, list):  # the requests whose ids one message carried (governance.handoff)
        extra["request_ids"] = " ".join(str(item) for item in gathered[:200] if _VALID_ID.fullmatch(str(item)))
        task_log.info("task %s %s %s %.1fms for requests %s", name, task_id, state, elapsed * 1000, extra["request_ids"],
                      extra=extra)
    else:
        task_log.info("task %s %s %s %.1fms", name, task_id, state, elapsed * 1000, extra=extra)
    if token is not None:
        try:
            _request_id.reset(token)
        except ValueError:  # set in another context (eager execution inside a request)
            _request_id.set("")
