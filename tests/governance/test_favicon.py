"""The URLconf loads whatever state the static files are in (production uses the
manifest storage, whose addresses exist only after collectstatic), and /favicon.ico
leads to the icon."""

import importlib

from django.test import override_settings
from django.urls import clear_url_caches

import governance.urls

MANIFEST = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def test_urls_import_without_a_collected_manifest(tmp_path):
    with override_settings(STORAGES=MANIFEST, STATIC_ROOT=tmp_path, DEBUG=False):
        clear_url_caches()
        importlib.reload(governance.urls)
    clear_url_caches()
    importlib.reload(governance.urls)


def test_favicon_redirects_to_the_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
