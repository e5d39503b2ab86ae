"""Static files in production mode: collectstatic with whitenoise's manifest storage runs
clean (every file a script or style sheet names, source maps included, exists) and
writes hashed, compressed copies."""

import re
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_every_source_map_that_a_vendored_file_names_is_shipped():
    missing = []
    for path in (ROOT / "static").rglob("*"):
        if path.suffix not in (".js", ".css"):
            continue
        for name in re.findall(r"sourceMappingURL=([^\s*]+)", path.read_text(errors="replace")):
            if not (path.parent / name).exists():
                missing.append(f"{path.relative_to(ROOT)} → {name}")
    assert missing == []


def test_collectstatic_with_the_manifest_storage_is_clean(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

    call_command("collectstatic", "--noinput", verbosity=0)

    assert list(tmp_path.glob("vendor/leaflet/leaflet.*.js"))
    assert list(tmp_path.glob("vendor/leaflet/leaflet.*.js.gz"))
    assert (tmp_path / "staticfiles.json").exists()
