"""The OpenAPI 3 schema and the Swagger UI, served without any outside address."""

import pytest
import yaml

from workflow.machine import FILING, TRANSITIONS

pytestmark = pytest.mark.django_db


def test_schema_lists_every_resource_and_transition(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in ("/api/v1/events/", "/api/v1/events/{id}/", "/api/v1/areas/", "/api/v1/grids/lookup/", "/api/v1/departments/",
                 "/api/v1/role-assignments/", "/api/v1/buildings/", "/api/v1/housing-units/", "/api/v1/key-places/",
                 "/api/v1/residents/", "/api/v1/residents/{resident_id}/reveal/", "/api/v1/residents/imports/",
                 "/api/v1/categories/", "/api/v1/sla-policies/", "/api/v1/notifications/", "/api/v1/dashboard/"):
        assert path in paths, path
    for transition in TRANSITIONS:
        if transition.name not in FILING:
            operation = paths[f"/api/v1/events/{{id}}/{transition.name}/"]["post"]
            assert {"200", "403", "404", "409"} <= set(operation["responses"]), transition.name
    assert "ApiKey" in schema["components"]["securitySchemes"]
    assert set(schema["components"]["schemas"]["ErrorOutput"]["properties"]) == {"code", "message", "detail"}


def test_swagger_ui_is_served_from_local_files(api):
    response = api.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "https://" not in page.replace("https://swagger.io", "")


def test_unrouted_api_addresses_answer_404_in_the_error_shape(as_user, cast):
    http = as_user(cast["dispatcher"])
    for path in ("/api/v1/residents/abc/", "/api/v1/events/1/attachments/x/", "/api/v1/nothing/"):
        response = http.get(path)
        assert response.status_code == 404 and response.json()["code"] == "not_found", path


def test_too_many_form_fields_is_a_parse_error(as_user, cast, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    body = "&".join(f"ids={number}" for number in range(10))
    response = as_user(cast["dispatcher"]).post("/api/v1/notifications/read/", body,
                                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_the_schema_is_generated_without_any_warning():
    """Every view's answers are described (``check --deploy`` in CI fails on any
    drf-spectacular warning; deploy/production_check.sh)."""
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
