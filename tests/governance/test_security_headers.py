"""Every response carries the strict Content Security Policy and the security headers;
pages, the Swagger UI and the admin have no inline script or style."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/report/", "/api/v1/events/", "/open311/v2/services.json",
                                 "/admin/login/", "/api/docs/"])
def test_headers_on_every_surface(client, url):
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


@pytest.mark.parametrize("url", ["/accounts/login/", "/report/", "/report/track/", "/api/docs/", "/admin/login/"])
def test_no_inline_script_or_style(client, url):
    page = client.get(url).content.decode()
    assert not INLINE_SCRIPT.search(page), INLINE_SCRIPT.search(page)
    assert "<style" not in page and " style=" not in page and " onclick=" not in page


def test_the_swagger_init_script_is_a_file(client):
    response = client.get("/api/docs/?script=")
    assert response.status_code == 200 and "javascript" in response["Content-Type"]
    assert "SwaggerUIBundle" in response.content.decode()


def test_violation_reports_are_accepted_and_logged(client, caplog):
    report = {"csp-report": {"violated-directive": "script-src-attr", "blocked-uri": "inline",
                             "document-uri": "http://testserver/events/map/"}}
    response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert any("CSP violation" in record.getMessage() and "script-src-attr" in record.getMessage()
               for record in caplog.records)
