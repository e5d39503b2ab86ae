"""Key rotation (issue 13): ``rotate_pii_key`` moves every protected value and file to the
new key while the platform runs — old and new keys readable meanwhile, concurrent
writes kept, resumable after ``kill -9``, idempotent — with the hash index rebuilt."""

import base64
import datetime
import hashlib
import hmac
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from residents import crypto
from residents.imports import resident_import_start
from residents.models import PiiRotation, Resident, ResidentImport
from residents.rotation import pii_key_rotate, rekeying_pending
from residents.selectors import resident_search
from residents.services import resident_register
from tests.residents.factories import ResidentFactory, id_number

pytestmark = pytest.mark.django_db(transaction=True)
NEW_KEY = base64.b64encode(b"n" * 32).decode()
ROOT = Path(__file__).resolve().parents[2]


def _people(tree, count):
    return [ResidentFactory(grid=tree["G12"], number=id_number(sequence=n, birth=datetime.date(1970, 1, 1)),
                            phone=f"1390000{n:04d}") for n in range(count)]


def _switch_keys(settings):
    old = settings.GOVERNANCE_PII_KEY
    settings.GOVERNANCE_PII_KEY = NEW_KEY
    settings.GOVERNANCE_PII_OLD_KEYS = [old]
    return old


def _all_under_new_key_only(settings):
    """Every value opens with the new key alone and is found by its new hash."""
    settings.GOVERNANCE_PII_OLD_KEYS = []
    for resident in Resident.objects.all():
        number = crypto.decrypt(resident.id_cipher, field="id_number")
        assert resident.id_hash == crypto.lookup_hash(number, field="id_number")
        if resident.phone_cipher:
            phone = crypto.decrypt(resident.phone_cipher, field="phone")
            assert resident.phone_hash == crypto.lookup_hash(phone, field="phone")


def test_during_a_rotation_old_values_are_readable_and_findable_and_imports_wait(tree, staff, settings):
    person = _people(tree, 1)[0]
    number = crypto.decrypt(person.id_cipher, field="id_number")
    _switch_keys(settings)

    assert rekeying_pending()
    assert crypto.decrypt(Resident.objects.get().id_cipher, field="id_number") == number
    assert [hit.resident.pk for hit in resident_search(staff["worker"], number)] == [person.pk]
    with pytest.raises(ValidationError, match="re-keyed"):
        resident_register(actor=staff["worker"], grid=tree["G12"], name="新人", id_number="11010519491231002X")
    job = resident_import_start(actor=staff["worker"], upload=ContentFile(b"x", name="a.csv"), name="a.csv", run_inline=True)
    job.refresh_from_db()
    assert job.status == "pending" and "re-keyed" in job.message and Resident.objects.count() == 1


def test_rotation_rewrites_everything_and_a_second_run_changes_nothing(tree, staff, settings, cast):
    from events.reporter import reporter_identity
    from tests.conftest import INSIDE_G11
    from workflow.services import event_file

    _people(tree, 5)
    event, _ = event_file(actor=None, channel="resident", category="0101", description="垃圾", reporter_name="李四",
                          reporter_contact="13900001111", **INSIDE_G11)
    job = ResidentImport(original_name="a.csv")
    job.file.save("a.csv", ContentFile("姓名,公民身份号码\n张三,11010519491231002X\n".encode()), save=False)
    job.save()
    _switch_keys(settings)

    first = pii_key_rotate()
    second = pii_key_rotate()

    assert first == {"residents.Resident": 5, "events.Event": 1, "residents.ResidentImport:files": 1}
    assert sum(second.values()) == 0
    assert not rekeying_pending()
    _all_under_new_key_only(settings)
    event.refresh_from_db()
    assert reporter_identity(event).contact == "13900001111"
    assert ResidentImport.objects.get().file.open("rb").read().decode().endswith("11010519491231002X\n")


def test_the_command_refuses_without_an_old_key():
    with pytest.raises(CommandError, match="GOVERNANCE_PII_OLD_KEYS"):
        call_command("rotate_pii_key")


def test_writes_during_the_rotation_are_kept(tree, settings, cast):
    from tests.conftest import INSIDE_G11
    from workflow.services import event_file

    _people(tree, 300)
    _switch_keys(settings)
    stop, errors, filed = threading.Event(), [], []

    def users_keep_working():
        from django.db import connection as own

        try:
            n = 0
            while not stop.is_set():
                n += 1
                event, _ = event_file(actor=None, channel="resident", category="0101", description="垃圾",
                                      reporter_name=f"王{n}", reporter_contact=f"1370000{n:04d}", **INSIDE_G11)
                filed.append((event.pk, f"1370000{n:04d}"))
                # A user changes a phone number meanwhile (written under the new key).
                resident = Resident.objects.order_by("?").first()
                phone = f"1360000{n:04d}"
                cipher, digest, mask = crypto.protect(phone, field="phone")
                Resident.objects.filter(pk=resident.pk).update(phone_cipher=cipher, phone_hash=digest, phone_mask=mask)
                filed.append((("resident", resident.pk), phone))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            own.close()

    worker = threading.Thread(target=users_keep_working)
    worker.start()
    try:
        pii_key_rotate(batch=20, pause=0.01)
    finally:
        stop.set()
        worker.join()

    assert not errors and len(filed) > 2
    _all_under_new_key_only(settings)
    from events.models import Event
    from events.reporter import reporter_identity

    latest = {}
    for key, value in filed:
        latest[key] = value
    for key, value in latest.items():
        if isinstance(key, tuple):
            assert crypto.decrypt(Resident.objects.get(pk=key[1]).phone_cipher, field="phone") == value
        else:
            assert reporter_identity(Event.objects.get(pk=key)).contact == value


def test_a_rotation_killed_half_way_goes_on_where_it_stopped(tree, settings):
    _people(tree, 400)
    old = _switch_keys(settings)
    database = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings_test", "GOVERNANCE_PII_KEY": NEW_KEY,
           "GOVERNANCE_PII_OLD_KEYS": old,
           "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"}
    if connection.vendor != "postgresql":
        pytest.skip("the child process needs the shared PostgreSQL test database")
    child = subprocess.Popen([sys.executable, "manage.py", "rotate_pii_key", "--batch", "50", "--pause", "0.3"],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = PiiRotation.objects.values_list("progress", flat=True).first() or {}
        if progress.get("residents.Resident", 0) >= 100:
            break
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    rotation = PiiRotation.objects.get()
    done_before = rotation.progress["residents.Resident"]
    assert rotation.finished_at is None and 100 <= done_before < max(Resident.objects.values_list("pk", flat=True))
    assert rekeying_pending()

    resumed = pii_key_rotate(batch=50)

    assert 0 < resumed["residents.Resident"] < 400  # only what was left
    assert resumed["residents.Resident"] == Resident.objects.filter(pk__gt=done_before).count()
    assert not rekeying_pending()
    _all_under_new_key_only(settings)


def test_rotated_hashes_equal_fresh_ones_for_15_digit_ids_and_landlines(tree, staff, settings):
    """A value written before issue 15 (the 15-digit number hashed as it is, a landline
    stored with its dash) is hashed after the rotation exactly as a fresh write hashes
    it: the 15-digit number under its 18-character identity, the phone in
    ``phone_normalise``'s one form — so searching either way finds the person."""
    from residents.phones import phone_normalise

    number18 = id_number(birth=datetime.date(1965, 3, 4), sequence=7)
    number15 = number18[:6] + number18[8:17]
    person = ResidentFactory(grid=tree["G12"], number=number15, phone="", gender="M", birth_date=datetime.date(1965, 3, 4))
    old_key = crypto.keys()
    # As stored before issue 15: the keyed hash of the 15 digits themselves, a dashed landline.
    legacy_id_hash = hmac.digest(old_key.hmac_key, f"id_number:{number15}".encode(), hashlib.sha256).hex()
    dashed = "0738-8312345"
    legacy_phone_hash = hmac.digest(old_key.hmac_key, f"phone:{dashed}".encode(), hashlib.sha256).hex()
    Resident.objects.filter(pk=person.pk).update(
        id_hash=legacy_id_hash, phone_cipher=crypto.encrypt(dashed, field="phone"), phone_hash=legacy_phone_hash,
        phone_mask=crypto.mask(dashed, field="phone"))
    _switch_keys(settings)

    pii_key_rotate()

    settings.GOVERNANCE_PII_OLD_KEYS = []
    rotated = Resident.objects.get(pk=person.pk)
    fresh_id_hash = crypto.protect(number18, field="id_number")[1]
    assert rotated.id_hash == fresh_id_hash == crypto.lookup_hash(number15, field="id_number")
    assert crypto.decrypt(rotated.phone_cipher, field="phone") == phone_normalise(dashed) == "07388312345"
    assert rotated.phone_hash == crypto.protect(phone_normalise(dashed), field="phone")[1]
    assert rotated.phone_mask == crypto.mask("07388312345", field="phone")
    for query in (number18, number15, dashed, "07388312345"):
        assert [hit.resident.pk for hit in resident_search(staff["worker"], query)] == [person.pk], query
    assert pii_key_rotate()["residents.Resident"] == 0  # and a second run changes nothing
