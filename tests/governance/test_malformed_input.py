"""One guard against malformed input (governance/guard.py): a NUL byte or another
control character anywhere in a path, query, form or JSON body, JSON nested too deep
and over-long values answer 400 in each surface's own shape — never 500 — on every URL
pattern of the platform."""

import json

import pytest
from django.urls import get_resolver

pytestmark = pytest.mark.django_db


def _sample_paths() -> list[str]:
    """One concrete path per URL pattern (every parameter filled with 1)."""
    paths = set()

    def walk(resolver, prefix):
        for _key, entries in resolver.reverse_dict.lists():
            for possibilities, _pattern, _defaults, _converters in entries:
                for template, params in possibilities:
                    paths.add(prefix + template % {name: "1" for name in params})
        for _name, (namespace_prefix, child) in resolver.namespace_dict.items():
            walk(child, prefix + namespace_prefix)

    walk(get_resolver(), "/")
    return sorted(path for path in paths if "\\" not in path and "(" not in path)


PATHS = _sample_paths()


def _assert_shape(response, path):
    assert response.status_code == 400, (path, response.status_code)
    if path.startswith("/api/"):
        body = response.json()
        assert set(body) == {"code", "message", "detail"} and body["code"] == "malformed_input", body
    elif path.startswith("/open311/"):
        body = response.content.decode()
        assert ("<errors>" in body) if path.endswith(".xml") else (json.loads(body)[0]["code"] == 400), body
    else:
        assert 'id="bad-request"' in response.content.decode()


def test_every_url_pattern_is_covered():
    assert len(PATHS) > 100
    assert any(path.startswith("/api/v1/") for path in PATHS) and any(path.startswith("/open311/v2/") for path in PATHS)


@pytest.mark.parametrize("path", PATHS)
def test_a_nul_byte_in_the_query_or_the_path_is_a_400(client, path):
    _assert_shape(client.get(path, {"q": "a\x00b"}), path)
    _assert_shape(client.get(path + "a%00b/"), path)


@pytest.mark.parametrize("path", PATHS)
def test_a_control_character_in_a_form_field_is_a_400(client, path):
    _assert_shape(client.post(path, {"description": "路灯\x1b坏了"}), path)


@pytest.mark.parametrize("url", [
    "/events/rate/a%00b/", "/open311/v2/services/a%00b.json", "/api/v1/residents/?q=a%00b", "/events/?q=a%00b",
    "/residents/?q=a%00b", "/report/track/?code=a%00b",
])
def test_the_reported_500s_are_400s(client, cast, url):
    client.force_login(cast["dispatcher"])
    path = url.split("?")[0]
    _assert_shape(client.get(url), path.replace("%00", ""))


def test_api_json_with_a_nul_in_a_key_or_value_is_a_400(client, cast):
    client.force_login(cast["worker"])
    body = {"category": "0101", "description": "垃圾", "latitude": 27.705, "longitude": 112.005, "extra": {"a\x00b": "x"}}
    _assert_shape(client.post("/api/v1/events/", body, content_type="application/json"), "/api/")
    body["extra"] = {"note": "x\x00"}
    _assert_shape(client.post("/api/v1/events/", body, content_type="application/json"), "/api/")


def test_json_nested_thousands_of_levels_is_a_400_not_a_recursion_error(client, cast):
    client.force_login(cast["worker"])
    deep = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/events/", deep, content_type="application/json")
    _assert_shape(response, "/api/")
    assert "嵌套层数过多" in response.json()["message"]  # Chinese first
    # Brackets inside strings do not count.
    flat = json.dumps({"category": "0101", "description": "[" * 100, "latitude": 27.705, "longitude": 112.005})
    assert client.post("/api/v1/events/", flat, content_type="application/json").status_code == 201


def test_open311_post_fields_with_control_characters_are_a_400(client, cast):
    response = client.post("/open311/v2/requests.json", {"service_code": "0101", "description": "a\x00b", "lat": "27.705",
                                                          "long": "112.005", "api_key": "x"})
    _assert_shape(response, "/open311/v2/requests.json")


def test_an_over_long_value_is_a_400_and_field_limits_are_the_same_on_every_channel(client, cast, settings):
    settings.INPUT_MAX_FIELD_CHARS = 1000
    _assert_shape(client.get("/report/track/", {"code": "x" * 1001}), "/report/track/")
    from api.services import api_client_create

    _client, key = api_client_create(actor=None, name="12345热线", user=cast["dispatcher"])
    settings.INPUT_MAX_FIELD_CHARS = 1_000_000
    response = client.post("/open311/v2/requests.json", {"service_code": "0101", "description": "长" * 5001, "lat": "27.705",
                                                          "long": "112.005", "api_key": key})
    assert response.status_code == 400 and "5000" in response.json()[0]["description"]
    client.force_login(cast["worker"])
    api = client.post("/api/v1/events/", {"category": "0101", "description": "长" * 5001, "latitude": 27.705,
                                          "longitude": 112.005}, content_type="application/json")
    assert api.status_code == 400 and "5000" in api.json()["detail"]["description"][0]


def test_an_id_number_with_a_superscript_digit_is_searched_as_a_name(client, cast):
    client.force_login(cast["dispatcher"])
    assert client.get("/residents/", {"q": "43130219800101001²"}).status_code == 200
    assert client.get("/api/v1/residents/", {"q": "43130219800101001²"}).status_code == 200
