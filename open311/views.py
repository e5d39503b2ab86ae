"""GeoReport v2 endpoints (``/open311/v2/``): thin views that read the parameters,
check the api_key and jurisdiction, call the selectors/services and answer in the
requested format. Every error is the spec's ``errors`` body with 400, 403 or 404."""

from functools import wraps
from types import SimpleNamespace

from django.conf import settings
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from api.authentication import KeyLockedOut, api_client_key_check
from api.services import api_client_touch
from api.throttling import ApiClientRateThrottle
from open311 import inputs, selectors
from open311.formats import Open311Error, respond
from open311.services import open311_request_file

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
STATUSES = ("open", "closed")


def open311_view(view):
    """Check jurisdiction_id, turn ``Open311Error`` into the spec's error body."""

    @wraps(view)
    def wrapper(request, *args, fmt="xml", **kwargs):
        try:
            _check_jurisdiction(request)
            return view(request, *args, fmt=fmt, **kwargs)
        except Open311Error as error:
            return error.response(fmt)

    return csrf_exempt(wrapper)


def _params(request):
    return request.POST if request.method == "POST" else request.GET


def _check_jurisdiction(request) -> None:
    configured = settings.OPEN311_JURISDICTION_ID
    given = (_params(request).get("jurisdiction_id") or "").strip()
    if configured and given and given != configured:
        raise Open311Error(404, _("jurisdiction_id %(id)s was not found.") % {"id": given})


def _client(request, *, required: bool):
    """The API client of ``api_key`` (403 when missing and required, or wrong), rate-limited per key."""
    key = (_params(request).get("api_key") or "").strip()
    if not key:
        if required:
            raise Open311Error(403, _("api_key is missing."))
        return None
    try:
        client = api_client_key_check(request, key)
    except KeyLockedOut as locked:
        raise Open311Error(403, str(locked)) from None
    if client is None:
        raise Open311Error(403, _("Invalid api_key received."))
    throttle = ApiClientRateThrottle()
    if not throttle.allow_request(SimpleNamespace(auth=client, user=client.user), None):
        raise Open311Error(429, _("Too many requests for this api_key; try again later."), retry_after=int(throttle.wait() or 1))
    api_client_touch(client=client)
    return client


def _reader(request):
    """Who reads: the key's user, or the public when the platform publishes requests."""
    client = _client(request, required=not settings.OPEN311_PUBLIC_READ)
    return client.user if client is not None else None


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
@open311_view
def discovery(request, fmt):
    base = request.build_absolute_uri("/open311/v2/").rstrip("/")
    body = {
        "changeset": settings.OPEN311_CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": settings.OPEN311_KEY_SERVICE,
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": settings.OPEN311_CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}],
    }
    return respond(fmt, "discovery", body)


@require_GET
@open311_view
def service_list(request, fmt):
    return respond(fmt, "services", selectors.services())


@require_GET
@open311_view
def service_definition(request, service_code, fmt):
    category = selectors.service(service_code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": service_code})
    return respond(fmt, "service_definition", selectors.service_definition(category))


@require_http_methods(["GET", "POST"])
@open311_view
def requests(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    params = request.GET
    user = _reader(request)
    statuses = inputs.comma_list(params.get("status"))
    if any(status not in STATUSES for status in statuses):
        raise Open311Error(400, _("status must be open or closed (comma separated)."))
    start, end = inputs.w3c_datetime(params, "start_date"), inputs.w3c_datetime(params, "end_date")
    if start and end and end < start:
        raise Open311Error(400, _("end_date is before start_date."))
    if start and end and end - start > selectors.WINDOW:
        raise Open311Error(400, _("start_date and end_date may not span more than 90 days."))
    events = selectors.requests_query(user, ids=inputs.comma_list(params.get("service_request_id")),
                                      codes=inputs.comma_list(params.get("service_code")), start=start, end=end,
                                      statuses=statuses)
    base = _base_url(request)
    return respond(fmt, "service_requests", [selectors.request_body(event, base_url=base) for event in events])


def _create(request, fmt):
    params = request.POST
    client = _client(request, required=True)
    code = (params.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code is required."))
    category = selectors.service(code)
    if category is None:
        raise Open311Error(404, _("service_code %(code)s was not found.") % {"code": code})
    event = open311_request_file(
        client=client, category=category, lat=inputs.coordinate(params, "lat", 90), lon=inputs.coordinate(params, "long", 180),
        address_string=(params.get("address_string") or "").strip(), address_id=(params.get("address_id") or "").strip(),
        attributes=inputs.attributes(params, category.extra_fields), description=params.get("description") or "",
        **{name: (params.get(name) or "").strip()[:200] for name in ("email", "phone", "first_name", "last_name", "device_id",
                                                                      "account_id", "media_url")},
    )
    body = [{"service_request_id": event.code, "service_notice": category.closing_standard or None,
             "account_id": (params.get("account_id") or "").strip() or None}]
    return respond(fmt, "service_requests", body)


@require_GET
@open311_view
def request_detail(request, service_request_id, fmt):
    event = selectors.request_by_id(_reader(request), service_request_id)
    if event is None:
        raise Open311Error(404, _("service_request_id %(id)s was not found.") % {"id": service_request_id})
    return respond(fmt, "service_requests", [selectors.request_body(event, base_url=_base_url(request))])


@require_GET
@open311_view
def token(request, token, fmt):
    event = selectors.request_by_token(_reader(request), token)
    if event is None:
        raise Open311Error(404, _("token %(token)s was not found.") % {"token": token})
    return respond(fmt, "service_requests", [{"service_request_id": event.code, "token": token}])


@open311_view
def unknown(request, fmt="xml", **kwargs):
    raise Open311Error(404, _("There is no such Open311 resource."))
