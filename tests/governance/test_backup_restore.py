"""Backups that restore (docs/deployment.md): the demo city with a photo is backed up
with deploy/backup.sh (pg_dump + the media folder), restored with deploy/restore.sh into
a fresh database and media folder, and the platform started against the copy finds the
same events, the same residents (their ID and phone numbers decrypt with the key) and
the same files."""

import hashlib
import io
import json
import os
import subprocess
import sys
import uuid

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from PIL import Image

from tests.governance.test_celery_worker import ROOT, database_url

pytestmark = pytest.mark.postgres


def snapshot() -> dict:
    """What must survive a backup: events with their state and timeline length, residents
    with their decrypted ID and phone numbers, every attachment's bytes."""
    from django.db.models import Count
    from django.test import Client

    from events.models import Attachment, Event
    from residents import crypto
    from residents.models import Resident

    events = {code: [state, n] for code, state, n in
              Event.objects.order_by("code").values_list("code", "state").annotate(n=Count("timeline"))}
    residents = {
        resident.id_hash: [resident.name, crypto.decrypt(bytes(resident.id_cipher), field="id_number"),
                           crypto.decrypt(bytes(resident.phone_cipher), field="phone") if resident.phone_cipher else ""]
        for resident in Resident.objects.all()
    }
    files = {}
    for attachment in Attachment.objects.order_by("pk"):
        for stored in (attachment.file, attachment.thumbnail):
            if stored:
                with stored.open("rb") as handle:
                    files[stored.name] = hashlib.sha256(handle.read()).hexdigest()
    # The platform answers from the copy: an admin opens an event page that shows the photo.
    client = Client()
    # Through the login page (the login throttling needs the request): the password survived.
    assert client.post("/accounts/login/", {"username": "admin", "password": "demo12345"}, HTTP_HOST="127.0.0.1").status_code == 302
    with_photo = Attachment.objects.order_by("pk").first().event
    page = client.get(f"/events/{with_photo.pk}/", HTTP_HOST="127.0.0.1")
    return {"events": events, "residents": residents, "files": files, "page": [page.status_code, with_photo.code in page.text]}


def _admin_connection():
    settings = connection.settings_dict
    admin = psycopg2.connect(dbname="postgres", user=settings["USER"], password=settings["PASSWORD"],
                             host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432)
    admin.autocommit = True
    return admin


@pytest.fixture
def fresh_database(transactional_db, reference_data):
    """An empty database next to the test database. ``reference_data``: the catalogue and
    calendar again, since an earlier transactional test's flush removed them."""
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump/pg_restore need PostgreSQL")
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield database_url().rsplit("/", 1)[0] + "/" + name
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(buffer, format="JPEG")
    return SimpleUploadedFile("pothole.jpg", buffer.getvalue(), content_type="image/jpeg")


def _run(args, env):
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_a_backup_of_the_demo_city_restores_into_a_fresh_database(fresh_database, tmp_path, settings):
    from accounts.models import User
    from residents.models import Resident
    from workflow.services import event_file

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo_city", stdout=io.StringIO())
    worker = User.objects.get(username="yuetang_worker")
    grid = worker.role_assignments.filter(revoked_at__isnull=True).first().area
    event_file(actor=worker, channel="grid_worker", category="0101", description="路面坑洞", grid=grid, attachments=[_photo()])
    before = snapshot()
    assert before["events"] and before["files"] and Resident.objects.filter(phone_cipher__isnull=False).exists()
    assert before["page"] == [200, True]

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test",
           "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    backup = tmp_path / "backup"
    _run(["deploy/backup.sh", str(backup)], {**env, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT)})
    assert {path.name for path in backup.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS"}

    restored = {**env, "DATABASE_URL": fresh_database, "MEDIA_ROOT": str(tmp_path / "restored-media")}
    _run(["deploy/restore.sh", str(backup)], restored)
    after = json.loads(_run([sys.executable, "-c", "import django, json; django.setup(); "
                             "from tests.governance.test_backup_restore import snapshot; print(json.dumps(snapshot()))"],
                            restored).strip().splitlines()[-1])

    assert after == json.loads(json.dumps(before))


def test_restore_refuses_a_damaged_backup(fresh_database, tmp_path):
    backup = tmp_path / "backup"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test", "MEDIA_ROOT": str(tmp_path / "media"),
           "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    _run(["deploy/backup.sh", str(backup)], {**env, "DATABASE_URL": database_url()})
    with open(backup / "database.dump", "ab") as dump:
        dump.write(b"garbage")

    result = subprocess.run(["deploy/restore.sh", str(backup)], cwd=ROOT, env={**env, "DATABASE_URL": fresh_database},
                            capture_output=True, text=True, timeout=120)

    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
