"""Filing an Open311 service request: an event filed on behalf of the API client's user
through the same ``workflow.services.event_file`` as every other channel."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from events.models import Category, Channel, Event
from open311.formats import Open311Error
from residents.selectors import buildings_visible_to
from workflow.services import event_file


def _location(*, user, lat, lon, address_string: str, address_id: str) -> dict:
    """lat/long, or a building by ``address_id`` (its id) or by its exact address."""
    if lat is not None and lon is not None:
        return {"latitude": lat, "longitude": lon}
    if (lat is None) != (lon is None):
        raise Open311Error(400, _("lat and long must be sent together."))
    buildings = buildings_visible_to(user).exclude(lat__isnull=True)
    building = None
    if address_id:
        building = buildings.filter(pk=address_id).first() if address_id.isdigit() else None
        if building is None:
            raise Open311Error(400, _("address_id %(id)s is not a known address.") % {"id": address_id})
    elif address_string:
        building = buildings.filter(address=address_string).first()
        if building is None:
            raise Open311Error(400, _("address_string could not be located; send lat and long as well."))
    else:
        raise Open311Error(400, _("A location is required: lat and long, address_string or address_id."))
    return {"latitude": building.lat, "longitude": building.lon}


def open311_request_file(*, client, category: Category, lat, lon, address_string: str = "", address_id: str = "",
                         attributes: dict, description: str = "", email: str = "", phone: str = "", first_name: str = "",
                         last_name: str = "", device_id: str = "", account_id: str = "", media_url: str = "") -> Event:
    location = _location(user=client.user, lat=lat, lon=lon, address_string=address_string, address_id=address_id)
    # The person's name, email, phone and device go only into the reporter's encrypted
    # identity (events.reporter), never into ``extra`` where the API would show them.
    submitted = {key: value for key, value in {
        "media_url": media_url, "address_id": address_id, "client": client.prefix,
    }.items() if value}
    try:
        event, _created = event_file(
            actor=client.user, channel=Channel.API, category=category, description=description.strip() or category.name,
            address=address_string, urgency="normal", reporter_name=f"{last_name}{first_name}".strip(),
            reporter_contact=email or phone, extra={**attributes, "_open311": submitted}, **location,
        )
    except ValidationError as error:
        raise Open311Error(400, *_descriptions(error)) from None
    return event


def _descriptions(error: ValidationError) -> list[str]:
    if not hasattr(error, "error_dict"):
        return error.messages
    return [f"{_parameter(field)}: {message}" for field, messages in error.message_dict.items() for message in messages]


def _parameter(field: str) -> str:
    """The Open311 parameter behind an event field."""
    if field.startswith("extra."):
        return f"attribute[{field[len('extra.'):]}]"
    return {"category": "service_code", "location": "lat/long", "grid": "lat/long", "attachments": "media_url",
            "address": "address_string", "reporter_name": "first_name/last_name", "reporter_contact": "email/phone"}.get(field, field)
