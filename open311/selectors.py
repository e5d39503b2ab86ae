"""Reads for Open311: the service list (small classes), service definitions (their
extra fields), and service requests (events) as the spec shows them."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.scoping import events_visible_to
from events.models import Attachment, AttachmentStage, Category, Event
from open311.formats import w3c
from workflow.machine import OPEN_STATES, State
from workflow.models import TimelineEntry

# Default window and size of GET requests (GeoReport v2 "Response Volume").
WINDOW = timedelta(days=90)
LIMIT = 1000
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _name(category: Category) -> str:
    return category.name_en if _english() and category.name_en else category.name


def services() -> list[dict]:
    smalls = Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True).select_related("parent")
    return [
        {"service_code": category.code, "service_name": _name(category),
         "description": category.description or category.closing_standard or None,
         "metadata": bool(category.extra_fields), "type": "realtime",
         "keywords": ", ".join(dict.fromkeys(filter(None, [category.name, category.name_en]))),
         "group": _name(category.parent)}
        for category in smalls.order_by("parent__order", "order", "code")
    ]


def service(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True, parent__isnull=False).first()


def service_definition(category: Category) -> dict:
    attributes = []
    for position, spec in enumerate(sorted(category.extra_fields, key=lambda item: item.get("order", 0)), start=1):
        attribute = {
            "variable": bool(spec.get("variable", True)), "code": str(spec["code"]), "datatype": spec.get("datatype", "string"),
            "required": bool(spec.get("required", False)), "datatype_description": spec.get("datatype_description") or None,
            "order": int(spec.get("order") or position), "description": spec.get("description") or str(spec["code"]),
        }
        if attribute["datatype"] in LIST_DATATYPES:
            attribute["values"] = [{"key": str(value["key"]), "name": str(value["name"])} for value in spec.get("values", [])]
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": attributes}


def requests_visible(user) -> QuerySet[Event]:
    """Events the caller may read: the key's user's scope, or every event when the
    platform publishes service requests (``OPEN311_PUBLIC_READ``) and no key is given."""
    if user is None:
        return Event.objects.all() if settings.OPEN311_PUBLIC_READ else Event.objects.none()
    return events_visible_to(user)


def with_request_fields(events: QuerySet[Event]) -> QuerySet[Event]:
    """Everything a request body needs, in a fixed number of queries."""
    return events.select_related("category", "primary_department", "merged_into").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.filter(stage=AttachmentStage.REPORT, is_image=True).order_by("id"),
                 to_attr="report_photos"),
        Prefetch("timeline", queryset=TimelineEntry.objects.filter(transition="reject").order_by("-at"), to_attr="rejections"),
    )


def requests_query(user, *, ids=None, codes=None, start: datetime | None = None, end: datetime | None = None,
                   statuses=None) -> list[Event]:
    events = requests_visible(user)
    if ids:
        events = events.filter(code__in=ids)
    else:
        if end is None:
            end = start + WINDOW if start is not None else timezone.now()
        if start is None:
            start = end - WINDOW
        events = events.filter(reported_at__gte=start, reported_at__lte=end)
        if codes:
            events = events.filter(category__code__in=codes)
        if statuses and set(statuses) != {"open", "closed"}:
            events = events.filter(state__in=OPEN_STATES) if "open" in statuses else events.exclude(state__in=OPEN_STATES)
    return list(with_request_fields(events).order_by("-reported_at", "-id")[:LIMIT])


def request_by_id(user, service_request_id: str) -> Event | None:
    return with_request_fields(requests_visible(user).filter(code=service_request_id)).first()


def request_by_token(user, token: str) -> Event | None:
    """A token is the idempotency key a client filed with (``POST /api/v1/events/``)."""
    return requests_visible(user).filter(idempotency_key=token).only("code", "idempotency_key").first()


def _status_notes(event: Event) -> str | None:
    if event.state == State.REJECTED and event.rejections:
        return event.rejections[0].note or None
    if event.state == State.MERGED and event.merged_into_id:
        return _("Merged into request %(code)s.") % {"code": event.merged_into.code}
    label = str(State(event.state).label)
    if event.result and event.state in (State.HANDLED, State.VERIFIED, State.CLOSED, State.ARCHIVED):
        return f"{label}: {event.result}"
    return label


def request_body(event: Event, *, base_url: str) -> dict:
    photo = event.report_photos[0] if event.report_photos else None
    media_url = f"{base_url}/api/v1/events/{event.pk}/attachments/{photo.pk}/" if photo else None
    submitted = (event.extra or {}).get("_open311") or {}
    closed = event.state not in OPEN_STATES
    return {
        "service_request_id": event.code,
        "status": "closed" if closed else "open",
        "status_notes": _status_notes(event),
        "service_name": _name(event.category),
        "service_code": event.category.code,
        "description": event.description,
        "agency_responsible": event.primary_department.name if event.primary_department_id else None,
        "service_notice": event.category.closing_standard or None,
        "requested_datetime": w3c(event.reported_at),
        "updated_datetime": w3c(event.closed_at if closed and event.closed_at else event.updated_at),
        "expected_datetime": w3c(event.due_at),
        "address": event.address or None,
        "address_id": submitted.get("address_id"),
        "zipcode": None,
        "lat": event.latitude,
        "long": event.longitude,
        "media_url": media_url or submitted.get("media_url"),
    }
