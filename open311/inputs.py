"""Reading GeoReport v2 parameters: form-encoded POST bodies with ``attribute[CODE]``
and ``attribute[CODE][]``, W3C datetimes, comma lists. Each problem becomes a clear
400 naming the parameter."""

import re
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from open311.formats import Open311Error

ATTRIBUTE = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\](?P<many>\[\])?$")


def comma_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def w3c_datetime(params, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    moment = parse_datetime(raw.replace(" ", "+"))  # a "+" in a query string arrives as a space
    if moment is None:
        raise Open311Error(400, _("%(name)s must be a W3C datetime, e.g. 2026-01-01T00:00:00+08:00.") % {"name": name})
    try:
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which Python accepts.
        return (moment if timezone.is_aware(moment) else timezone.make_aware(moment)).astimezone(UTC)
    except (OverflowError, ValueError):
        raise Open311Error(400, _("%(name)s must be a W3C datetime, e.g. 2026-01-01T00:00:00+08:00.") % {"name": name}) from None


def coordinate(params, name: str, limit: float) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not -limit <= value <= limit:
        raise Open311Error(400, _("%(name)s must be a number between -%(limit)s and %(limit)s.") % {"name": name, "limit": int(limit)})
    return value


def attributes(params, definition: list[dict]) -> dict:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&attribute[CODE][]=v2`` → ``{code: value}``,
    numbers and datetimes checked against the service definition."""
    datatypes = {str(spec["code"]): spec.get("datatype", "string") for spec in definition}
    values = {}
    for key in params:
        match = ATTRIBUTE.match(key)
        if match is None:
            continue
        code = match["code"]
        many = params.getlist(key)
        values[code] = many if match["many"] or datatypes.get(code) == "multivaluelist" else many[-1]
    for code, value in values.items():
        datatype = datatypes.get(code)
        if datatype is None:
            raise Open311Error(400, _("attribute[%(code)s] is not an attribute of this service.") % {"code": code})
        if datatype == "number" and value not in ("", None):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise Open311Error(400, _("attribute[%(code)s] must be a number.") % {"code": code}) from None
            values[code] = int(number) if number.is_integer() else number
        if datatype == "datetime" and value not in ("", None) and parse_datetime(str(value)) is None:
            raise Open311Error(400, _("attribute[%(code)s] must be a W3C datetime.") % {"code": code})
        if datatype == "multivaluelist" and not isinstance(value, list):
            values[code] = [value]
    return values
