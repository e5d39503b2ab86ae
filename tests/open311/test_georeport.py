"""Open311 GeoReport v2, written from the specification (wiki.open311.org/GeoReport_v2):
every endpoint in XML and JSON, field names and types, and each error."""

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api.models import ApiClient
from api.services import api_client_create, api_client_revoke
from events.models import Event
from events.reporter import ReporterIdentity, reporter_identity
from tests.conftest import INSIDE_G11
from tests.residents.factories import BuildingFactory

pytestmark = pytest.mark.django_db
W3C = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$"


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()


@pytest.fixture
def http():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def hotline(cast):
    """The 12345 hotline's key: a client acting as the street dispatcher."""
    _client, key = api_client_create(actor=None, name="12345", user=cast["dispatcher"])
    return key


def xml(response) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def as_json(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def errors(response, fmt):
    if fmt == "json":
        body = as_json(response)
        assert isinstance(body, list) and set(body[0]) == {"code", "description"}
        return [(item["code"], item["description"]) for item in body]
    root = xml(response)
    assert root.tag == "errors" and [child.tag for child in root] == ["error"] * len(root)
    return [(int(error.findtext("code")), error.findtext("description")) for error in root]


# --- discovery -----------------------------------------------------------------------------------------


def test_discovery_in_both_formats(http):
    body = as_json(http.get("/open311/v2/discovery.json"))
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2" and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    root = xml(http.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert [item.text for item in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


# --- services ------------------------------------------------------------------------------------------


def test_service_list_in_both_formats(http, reference_data):
    services = as_json(http.get("/open311/v2/services.json"))
    garbage = next(item for item in services if item["service_code"] == "0101")
    assert set(garbage) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert garbage["service_name"] == "Exposed garbage" and garbage["group"] == "City appearance"
    assert garbage["metadata"] is False and garbage["type"] == "realtime"
    assert next(item for item in services if item["service_code"] == "0401")["metadata"] is True
    assert all(isinstance(item["service_code"], str) for item in services)
    root = xml(http.get("/open311/v2/services.xml"))
    assert root.tag == "services" and {child.tag for child in root} == {"service"}
    first = root.find("service[service_code='0101']")
    assert first.findtext("metadata") == "false" and first.findtext("type") == "realtime"
    assert len(root) == len(services)


def test_service_names_follow_the_language(reference_data):
    services = as_json(Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/open311/v2/services.json"))
    assert next(item for item in services if item["service_code"] == "0101")["service_name"] == "暴露垃圾"


def test_service_definition_in_both_formats(http, reference_data):
    body = as_json(http.get("/open311/v2/services/0401.json"))
    assert body["service_code"] == "0401"
    attribute = body["attributes"][0]
    assert attribute == {"variable": True, "code": "stall", "datatype": "singlevaluelist", "required": False,
                         "datatype_description": None, "order": 1, "description": "摊点类型",
                         "values": [{"key": "fixed", "name": "固定摊点"}, {"key": "mobile", "name": "流动摊贩"},
                                    {"key": "night", "name": "夜市摊点"}]}
    root = xml(http.get("/open311/v2/services/0401.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == "0401"
    element = root.find("attributes/attribute")
    assert element.findtext("variable") == "true" and element.findtext("required") == "false"
    assert element.findtext("datatype_description") == "" and element.findtext("order") == "1"
    assert [value.findtext("key") for value in element.find("values")] == ["fixed", "mobile", "night"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404(http, reference_data, fmt):
    response = http.get(f"/open311/v2/services/9999.{fmt}")
    assert response.status_code == 404
    assert errors(response, fmt) == [(404, "service_code 9999 was not found.")]
    # A big class is not a service.
    assert http.get(f"/open311/v2/services/01.{fmt}").status_code == 404


# --- POST requests -------------------------------------------------------------------------------------


def post(http, fmt, **fields):
    return http.post(f"/open311/v2/requests.{fmt}", fields)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_a_request_files_an_event_through_the_workflow(http, hotline, cast, fmt):
    response = post(http, fmt, api_key=hotline, service_code="0401", lat="27.705", long="112.005",
                    description="人行道上有流动摊贩", email="citizen@example.org", first_name="伟", last_name="张",
                    phone="13900000000", device_id="dev-1", account_id="acc-9", media_url="http://example.org/p.jpg",
                    **{"attribute[stall]": "mobile"})
    assert response.status_code == 200, response.content
    if fmt == "json":
        body = as_json(response)
        assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
        request_id = body[0]["service_request_id"]
        assert body[0]["account_id"] == "acc-9"
    else:
        root = xml(response)
        assert root.tag == "service_requests" and root[0].tag == "request"
        request_id = root[0].findtext("service_request_id")
    event = Event.objects.get(code=request_id)
    assert isinstance(request_id, str)
    assert event.channel == "api" and event.reporter == cast["dispatcher"] and event.state == "reported"
    assert event.extra["stall"] == "mobile" and event.extra["_open311"]["media_url"] == "http://example.org/p.jpg"
    # The person's identity is kept encrypted, shown masked, and kept out of ``extra``.
    assert event.reporter_name == "张*" and event.reporter_contact == "c***@example.org"
    assert reporter_identity(event) == ReporterIdentity(name="张伟", contact="citizen@example.org")
    for personal in ("citizen@example.org", "13900000000", "dev-1", "acc-9", "张伟"):
        assert personal not in json.dumps(event.extra, ensure_ascii=False)
    assert event.timeline.get().transition == "report"


def test_multivalue_attributes_and_numbers(http, hotline, reference_data):
    from events.models import Category

    Category.objects.filter(code="0401").update(extra_fields=[
        {"code": "kinds", "description": "种类", "datatype": "multivaluelist", "required": True, "order": 1,
         "values": [{"key": "fruit", "name": "水果"}, {"key": "food", "name": "小吃"}]},
        {"code": "count", "description": "摊位数", "datatype": "number", "required": False, "order": 2},
    ])
    response = http.post("/open311/v2/requests.json", f"api_key={hotline}&service_code=0401&lat=27.705&long=112.005"
                         "&attribute[kinds][]=fruit&attribute[kinds][]=food&attribute[count]=3",
                         content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.content
    event = Event.objects.get(code=as_json(response)[0]["service_request_id"])
    assert event.extra["kinds"] == ["fruit", "food"] and event.extra["count"] == 3
    assert event.description == "占道经营"  # no description: the service's name
    missing = post(http, "json", api_key=hotline, service_code="0401", lat="27.705", long="112.005")
    assert missing.status_code == 400 and errors(missing, "json")[0][1].startswith("attribute[kinds]:")
    bad_number = post(http, "json", api_key=hotline, service_code="0401", lat="27.705", long="112.005",
                      **{"attribute[kinds][]": "fruit", "attribute[count]": "many"})
    assert errors(bad_number, "json") == [(400, "attribute[count] must be a number.")]


def test_location_from_an_address_id_or_string(http, hotline, tree):
    building = BuildingFactory(grid=tree["G11"], address="月塘路1号", lat=27.705, lon=112.005)
    by_id = post(http, "json", api_key=hotline, service_code="0101", address_id=str(building.pk), description="垃圾")
    by_string = post(http, "json", api_key=hotline, service_code="0101", address_string="月塘路1号", description="垃圾")
    assert by_id.status_code == by_string.status_code == 200
    assert Event.objects.get(code=as_json(by_string)[0]["service_request_id"]).address == "月塘路1号"
    unknown = post(http, "json", api_key=hotline, service_code="0101", address_string="无此地址", description="垃圾")
    assert unknown.status_code == 400


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("fields", "status", "description"), [
    ({}, 403, "api_key is missing."),
    ({"api_key": "nope.nope"}, 403, "Invalid api_key received."),
    ({"api_key": "KEY"}, 400, "service_code is required."),
    ({"api_key": "KEY", "service_code": "9999", "lat": "27.705", "long": "112.005"}, 404, "service_code 9999 was not found."),
    ({"api_key": "KEY", "service_code": "0101"}, 400, "A location is required: lat and long, address_string or address_id."),
    ({"api_key": "KEY", "service_code": "0101", "lat": "27.705"}, 400, "lat and long must be sent together."),
    ({"api_key": "KEY", "service_code": "0101", "lat": "north", "long": "112"}, 400, "lat must be a number between -90 and 90."),
    ({"api_key": "KEY", "service_code": "0101", "lat": "1", "long": "1"}, 400,
     "lat/long: This location lies outside every grid of the city."),
    ({"api_key": "KEY", "service_code": "0101", "lat": "27.705", "long": "112.005", "attribute[color]": "red"}, 400,
     "attribute[color] is not an attribute of this service."),
])
def test_post_errors(http, hotline, fmt, fields, status, description):
    fields = {key: (hotline if value == "KEY" else value) for key, value in fields.items()}
    response = post(http, fmt, **fields)
    assert response.status_code == status
    assert errors(response, fmt) == [(status, description)]
    assert not Event.objects.exists()


def test_a_revoked_key_is_refused_at_once(http, hotline):
    api_client_revoke(actor=None, client=ApiClient.objects.get())
    response = post(http, "json", api_key=hotline, service_code="0101", lat="27.705", long="112.005")
    assert response.status_code == 403


def test_the_key_is_rate_limited(http, cast, reference_data):
    _client, key = api_client_create(actor=None, name="tiny", user=cast["dispatcher"], throttle_rate="2/minute")
    codes = [http.get(f"/open311/v2/requests.json?api_key={key}").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --- GET requests --------------------------------------------------------------------------------------


@pytest.fixture
def filed(file, walk, cast, departments):
    """Three events of the street: one open, one dispatched, one closed."""
    open_one = file(description="暴露垃圾一处")
    dispatched = walk(file(category="0102", latitude=27.706, longitude=112.006), "dispatched")
    closed = walk(file(latitude=27.707, longitude=112.007), "closed")
    far = file(cast["outsider"], latitude=27.405, longitude=112.205)
    return {"open": open_one, "dispatched": dispatched, "closed": closed, "far": far}


def test_get_requests_in_both_formats(http, hotline, filed):
    body = as_json(http.get(f"/open311/v2/requests.json?api_key={hotline}"))
    assert {item["service_request_id"] for item in body} == {filed[name].code for name in ("open", "dispatched", "closed")}
    dispatched = next(item for item in body if item["service_request_id"] == filed["dispatched"].code)
    assert set(dispatched) == {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                               "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                               "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}
    assert dispatched["status"] == "open" and dispatched["agency_responsible"] == "乐坪街道城管中队"
    assert dispatched["service_code"] == "0102" and isinstance(dispatched["lat"], float)
    import re

    assert re.match(W3C, dispatched["requested_datetime"]) and re.match(W3C, dispatched["expected_datetime"])
    closed = next(item for item in body if item["service_request_id"] == filed["closed"].code)
    assert closed["status"] == "closed" and closed["status_notes"] == "Closed: 已清理"
    root = xml(http.get(f"/open311/v2/requests.xml?api_key={hotline}"))
    assert root.tag == "service_requests" and len(root.findall("request")) == 3
    element = root.find(f"request[service_request_id='{filed['open'].code}']")
    assert element.findtext("status") == "open" and element.findtext("zipcode") == ""
    assert element.findtext("lat") == "27.705"


def test_get_requests_filters(http, hotline, filed):
    def codes(query):
        response = http.get(f"/open311/v2/requests.json?api_key={hotline}&{query}")
        assert response.status_code == 200, response.content
        return {item["service_request_id"] for item in as_json(response)}

    assert codes("status=closed") == {filed["closed"].code}
    assert codes("status=open") == {filed["open"].code, filed["dispatched"].code}
    assert codes("status=open,closed") == codes("")
    assert codes("service_code=0102") == {filed["dispatched"].code}
    assert codes("service_code=0102,0101") == codes("")
    now = timezone.now()
    assert codes(f"start_date={(now + timedelta(hours=1)).isoformat()}") == set()
    assert codes(f"end_date={(now - timedelta(days=1)).isoformat()}") == set()
    # service_request_id overrides the other arguments; requests out of scope are not shown.
    assert codes(f"service_request_id={filed['open'].code},{filed['far'].code}&status=closed") == {filed["open"].code}


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("query", "description"), [
    ("status=pending", "status must be open or closed (comma separated)."),
    ("start_date=yesterday", "start_date must be a W3C datetime, e.g. 2026-01-01T00:00:00+08:00."),
    ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "start_date and end_date may not span more than 90 days."),
    ("start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "end_date is before start_date."),
])
def test_get_requests_errors(http, hotline, filed, fmt, query, description):
    response = http.get(f"/open311/v2/requests.{fmt}?api_key={hotline}&{query}")
    assert response.status_code == 400
    assert errors(response, fmt) == [(400, description)]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_reading_needs_a_key_unless_requests_are_public(http, filed, settings, fmt):
    response = http.get(f"/open311/v2/requests.{fmt}")
    assert response.status_code == 403 and errors(response, fmt) == [(403, "api_key is missing.")]
    settings.OPEN311_PUBLIC_READ = True
    assert http.get(f"/open311/v2/requests.{fmt}").status_code == 200


def test_get_one_request_is_a_one_element_list(http, hotline, filed):
    body = as_json(http.get(f"/open311/v2/requests/{filed['open'].code}.json?api_key={hotline}"))
    assert isinstance(body, list) and len(body) == 1 and body[0]["service_request_id"] == filed["open"].code
    root = xml(http.get(f"/open311/v2/requests/{filed['open'].code}.xml?api_key={hotline}"))
    assert root.tag == "service_requests" and len(root) == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_out_of_scope_request_is_404(http, hotline, filed, fmt):
    for code in ("20000101-000001", filed["far"].code):
        response = http.get(f"/open311/v2/requests/{code}.{fmt}?api_key={hotline}")
        assert response.status_code == 404
        assert errors(response, fmt) == [(404, f"service_request_id {code} was not found.")]


def test_media_url_is_the_first_photo(http, hotline, cast, settings, tmp_path):
    from tests.events.test_filing import photo
    from workflow.services import event_file

    settings.MEDIA_ROOT = tmp_path
    event, _created = event_file(actor=cast["worker"], channel="grid_worker", category="0101", description="x",
                                 attachments=[photo()], **INSIDE_G11)
    body = as_json(http.get(f"/open311/v2/requests/{event.code}.json?api_key={hotline}"))
    assert body[0]["media_url"] == f"http://testserver/api/v1/events/{event.pk}/attachments/{event.attachments.get().pk}/"


# --- tokens --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_token_gives_the_request_id(http, hotline, cast, fmt):
    from workflow.services import event_file

    event, _created = event_file(actor=cast["dispatcher"], channel="hotline", category="0101", description="x",
                                 idempotency_key="12345-ticket-77", **INSIDE_G11)
    response = http.get(f"/open311/v2/tokens/12345-ticket-77.{fmt}?api_key={hotline}")
    assert response.status_code == 200
    if fmt == "json":
        assert as_json(response) == [{"service_request_id": event.code, "token": "12345-ticket-77"}]
    else:
        request = xml(response).find("request")
        assert request.findtext("service_request_id") == event.code and request.findtext("token") == "12345-ticket-77"
    missing = http.get(f"/open311/v2/tokens/none.{fmt}?api_key={hotline}")
    assert missing.status_code == 404 and errors(missing, fmt) == [(404, "token none was not found.")]


# --- jurisdiction, unknown resources, language ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_jurisdiction_is_checked_when_configured(http, reference_data, settings, fmt):
    settings.OPEN311_JURISDICTION_ID = "loudi.gov.cn"
    assert http.get(f"/open311/v2/services.{fmt}?jurisdiction_id=loudi.gov.cn").status_code == 200
    assert http.get(f"/open311/v2/services.{fmt}").status_code == 200
    wrong = http.get(f"/open311/v2/services.{fmt}?jurisdiction_id=sfgov.org")
    assert wrong.status_code == 404 and errors(wrong, fmt) == [(404, "jurisdiction_id sfgov.org was not found.")]


def test_unknown_resource_answers_the_error_body(http):
    response = http.get("/open311/v2/potholes.json")
    assert response.status_code == 404 and errors(response, "json")[0][0] == 404
    assert errors(http.get("/open311/v2/potholes"), "xml")[0][0] == 404


def test_error_descriptions_follow_the_request_language(reference_data):
    response = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").post("/open311/v2/requests.json", {})
    assert response.status_code == 403 and errors(response, "json")[0][1] != "api_key is missing."


def test_extreme_offsets_are_answered(http, hotline, filed):
    response = http.get(f"/open311/v2/requests.json?api_key={hotline}&start_date=0238-10-13T13:47:00%2B23:35")
    assert response.status_code == 200
    bad = http.get(f"/open311/v2/requests.json?api_key={hotline}&start_date=0001-01-01T00:00:00%2B05:00")
    assert bad.status_code == 400
