"""One error shape for the whole API: ``{"code", "message", "detail"}``.

``code`` is stable (clients branch on it), ``message`` is for people in the request's
language, ``detail`` carries the specifics: for ``invalid`` a map of field → messages,
for ``transition_refused`` the refused transition's kind of refusal."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from workflow.services import TransitionRefused

# TransitionRefused.code → (HTTP status, API code).
REFUSALS = {
    "forbidden": (status.HTTP_403_FORBIDDEN, "transition_forbidden"),
    "state": (status.HTTP_409_CONFLICT, "transition_refused"),
    "guard": (status.HTTP_409_CONFLICT, "transition_refused"),
    "unknown": (status.HTTP_404_NOT_FOUND, "not_found"),
}


def error_body(code: str, message, detail=None) -> dict:
    return {"code": code, "message": str(message), "detail": detail if detail is not None else {}}


def _messages(value) -> list[str]:
    """Plain messages from DRF's nested error details (never their Python repr):
    ``{0: {"name": ["…"]}}`` becomes ``["0: name: …"]``."""
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _messages(item)]
    if isinstance(value, (list, tuple)):
        return [message for item in value for message in _messages(item)]
    return [str(value)]


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def _from_django_validation(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        detail = {("non_field_errors" if key == "__all__" else key): messages for key, messages in error.message_dict.items()}
    else:
        detail = {"non_field_errors": error.messages}
    return exceptions.ValidationError(detail)


def api_exception_handler(exc, context):
    if isinstance(exc, TransitionRefused):
        http_status, code = REFUSALS.get(exc.code, (status.HTTP_409_CONFLICT, "transition_refused"))
        return Response(error_body(code, exc.reason, {"refusal": exc.code}), status=http_status)
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, SuspiciousOperation):
        # Too many fields, a body over the size limit, a malformed multipart body.
        exc = exceptions.ParseError(str(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        names = ", ".join(fields)
        response.data = error_body("invalid", _("Some fields are not valid: %(fields)s.") % {"fields": names}, fields)
        return response
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", "")
    message = detail if isinstance(detail, str) else getattr(exc, "default_detail", "")
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait)
    response.data = error_body(code, message, extra)
    return response


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any address under /api/v1/ that no route matches (an id that is not a number, a
    path that does not exist) answers 404 in the API's error shape, not an HTML page."""
    from django.http import JsonResponse

    return JsonResponse(error_body("not_found", exceptions.NotFound.default_detail), status=404)
