"""One guard against malformed input for every surface (docs/security.md).

Before any view runs, the request's path, query string, form fields (names, values and
uploaded file names) and JSON body (keys and values) are checked for:

- NUL bytes and other control characters (tab, line feed and carriage return are allowed
  in values, never in the path or in names), which PostgreSQL refuses to store and no
  user types;
- JSON nested deeper than ``INPUT_MAX_JSON_DEPTH`` (Python's parser would recurse until
  it fails) or that is not JSON at all when it says it is;
- a single value longer than ``INPUT_MAX_FIELD_CHARS`` (each form and serializer has its
  own, smaller limits; this is the backstop for everything else).

A malformed request answers 400 in the surface's own shape: the API's ``{"code",
"message", "detail"}``, Open311's list of errors (JSON or XML), a page for browsers.
"""

import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# C0 controls and DEL; tab, LF and CR are allowed inside values.
CONTROL_IN_VALUE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_ANYWHERE = re.compile(r"[\x00-\x1f\x7f]")
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
JSON_BRACKET = re.compile(r"[\[\]{}]")


class Malformed(Exception):
    def __init__(self, message: str, where: str, code: str = "malformed_input"):
        super().__init__(message)
        self.message = message
        self.where = where
        self.code = code


def _check_name(name: str, where: str) -> None:
    if CONTROL_ANYWHERE.search(name):
        raise Malformed(_("A control character (such as a NUL byte) is not allowed here."), where)
    _check_length(name, where)


def _check_value(value: str, where: str) -> None:
    if CONTROL_IN_VALUE.search(value):
        raise Malformed(_("A control character (such as a NUL byte) is not allowed in “%(field)s”.") % {"field": where[:60]},
                        where)
    _check_length(value, where)


def _check_length(value: str, where: str) -> None:
    limit = settings.INPUT_MAX_FIELD_CHARS
    if len(value) > limit:
        raise Malformed(_("“%(field)s” is too long (at most %(limit)d characters).") % {"field": where[:60], "limit": limit},
                        where)


def json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects, without parsing (brackets inside strings do not count)."""
    depth = deepest = 0
    for match in JSON_BRACKET.finditer(JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _walk_json(value, where: str) -> None:
    if isinstance(value, str):
        _check_value(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_name(key, key)
            _walk_json(item, key)
    elif isinstance(value, list):
        for item in value:
            _walk_json(item, where)


def _check_json(request: HttpRequest) -> None:
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed(_("The request body is not valid UTF-8."), "body") from None
    if not text.strip():
        return
    if json_depth(text) > settings.INPUT_MAX_JSON_DEPTH:
        raise Malformed(_("The JSON is nested too deeply (at most %(depth)d levels).") % {"depth": settings.INPUT_MAX_JSON_DEPTH},
                        "body")
    try:
        data = json.loads(text)
    except ValueError:
        raise Malformed(_("The request body is not valid JSON."), "body") from None
    _walk_json(data, "body")


def request_check(request: HttpRequest) -> None:
    """Raise ``Malformed`` for the first malformed part of the request."""
    try:
        _request_check(request)
    except RequestDataTooBig:
        raise Malformed(_("The request body is too large."), "body", "parse_error") from None
    except TooManyFieldsSent:
        raise Malformed(_("The request has too many fields."), "body", "parse_error") from None
    except (SuspiciousOperation, MultiPartParserError):
        raise Malformed(_("The request body could not be read."), "body", "parse_error") from None


def _request_check(request: HttpRequest) -> None:
    _check_name(request.path_info, "path")
    for key, values in request.GET.lists():
        _check_name(key, key)
        for value in values:
            _check_value(value, key)
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        _check_json(request)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.POST.lists():
            _check_name(key, key)
            for value in values:
                _check_value(value, key)
        for key, files in request.FILES.lists():
            for upload in files:
                _check_name(upload.name or "", key)


def malformed_response(request: HttpRequest, error: Malformed) -> HttpResponse:
    path = request.path_info
    if path.startswith("/api/"):
        return JsonResponse({"code": error.code, "message": error.message, "detail": {"field": error.where[:60]}},
                            status=400)
    if path.startswith("/open311/"):
        from open311.formats import Open311Error

        return Open311Error(400, error.message).response("xml" if path.endswith(".xml") else "json")
    html = render_to_string("400.html", {"message": error.message}, request=request)
    return HttpResponse(html, status=400)


class MalformedInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request_check(request)
        except Malformed as error:
            return malformed_response(request, error)
        return self.get_response(request)
