"""GeoReport v2 bodies in both formats. The JSON is the XML without its outer wrapper
(bare arrays; the discovery and a service definition are objects), per the spec's
Spark convention: booleans as true/false, missing values as empty elements / null."""

import json
import xml.etree.ElementTree as ET
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def w3c(moment: datetime | None) -> str | None:
    """W3C datetime with the offset, e.g. 2026-12-01T15:36:13+08:00."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _append(parent: ET.Element, tag: str, value) -> None:
    """Add ``tag`` under ``parent``: a dict becomes child elements, a list of dicts
    repeated ``item`` elements (the list's tag minus its plural ``s``), a plain list of
    values repeated elements named after the singular."""
    element = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        singular = tag[:-1] if tag.endswith("s") else tag
        for item in value:
            _append(element, singular, item)
    else:
        element.text = _text(value)


def to_xml(root: str, body) -> str:
    """``body`` is a list (repeated children named after the root's singular, e.g.
    ``services`` → ``service``) or a dict (the root's children)."""
    element = ET.Element(root)
    if isinstance(body, list):
        item_tag = {"services": "service", "service_requests": "request", "errors": "error"}[root]
        for item in body:
            _append(element, item_tag, item)
    else:
        for key, value in body.items():
            _append(element, key, value)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def respond(fmt: str, root: str, body, status: int = 200) -> HttpResponse:
    if fmt == "json":
        content = json.dumps(body, ensure_ascii=False)
    else:
        content = to_xml(root, body)
    return HttpResponse(content.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])


class Open311Error(Exception):
    """An error answered in the spec's body; ``status`` is 400, 403 or 404 (429 when rate-limited)."""

    def __init__(self, status: int, *descriptions: str, retry_after: int | None = None):
        super().__init__("; ".join(str(item) for item in descriptions))
        self.status = status
        self.descriptions = [str(item) for item in descriptions]
        self.retry_after = retry_after

    def response(self, fmt: str) -> HttpResponse:
        body = [{"code": self.status, "description": description} for description in self.descriptions]
        response = respond(fmt, "errors", body, status=self.status)
        if self.retry_after is not None:
            response["Retry-After"] = str(self.retry_after)
        return response
