"""Masking everywhere, reveal permission and the append-only access log, key handling."""

import base64
import csv
import io
import os

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from residents import crypto
from residents.models import PersonalDataAccess
from residents.services import resident_reveal
from tests.residents.factories import ResidentFactory

pytestmark = pytest.mark.django_db
NUMBER = "11010519491231002X"
PHONE = "13800138000"


@pytest.fixture
def resident(tree):
    return ResidentFactory(grid=tree["G12"], name="王秀英", number=NUMBER, phone=PHONE)


@pytest.mark.parametrize("who", ["worker", "police", "admin"])
def test_grid_staff_and_admins_reveal_with_a_reason_and_it_is_logged(staff, resident, who):
    value = resident_reveal(actor=staff[who], resident=resident, field="id_number", reason="疫情排查核对身份")

    assert value == NUMBER
    entry = PersonalDataAccess.objects.get()
    assert (entry.actor, entry.action, entry.resident, entry.field, entry.reason) == (
        staff[who], "reveal", resident, "id_number", "疫情排查核对身份")


def test_a_doctor_may_reveal_a_phone_but_not_an_id_number(staff, resident):
    assert resident_reveal(actor=staff["doctor"], resident=resident, field="phone", reason="签约随访") == "138 0013 8000"  # national format
    with pytest.raises(PermissionDenied):
        resident_reveal(actor=staff["doctor"], resident=resident, field="id_number", reason="随访")


@pytest.mark.parametrize("who", ["parttime", "leader"])
def test_part_time_workers_and_leaders_may_not_reveal(staff, resident, who):
    with pytest.raises(PermissionDenied):
        resident_reveal(actor=staff[who], resident=resident, field="phone", reason="看看")
    assert not PersonalDataAccess.objects.exists()


def test_a_reason_is_required(staff, resident):
    with pytest.raises(ValidationError):
        resident_reveal(actor=staff["worker"], resident=resident, field="id_number", reason="  ")
    assert not PersonalDataAccess.objects.exists()


def test_out_of_scope_reveal_is_not_found(staff, resident):
    from django.http import Http404

    with pytest.raises(Http404):
        resident_reveal(actor=staff["other_worker"], resident=resident, field="id_number", reason="x")


def test_the_access_log_cannot_be_edited_or_deleted(staff, resident, django_user_model):
    resident_reveal(actor=staff["worker"], resident=resident, field="phone", reason="联系")
    entry = PersonalDataAccess.objects.get()
    entry.reason = "改掉"

    with pytest.raises(PermissionDenied):
        entry.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    model_admin = site._registry[PersonalDataAccess]
    request = RequestFactory().get("/")
    request.user = django_user_model.objects.create_superuser("root", password="x")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    if connection.vendor == "postgresql":  # the database refuses it too
        for statement in ("UPDATE residents_personaldataaccess SET reason = 'x'", "DELETE FROM residents_personaldataaccess"):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert PersonalDataAccess.objects.get().reason == "联系"


def test_admins_read_the_access_log_in_the_admin(client, staff, resident):
    resident_reveal(actor=staff["worker"], resident=resident, field="phone", reason="联系")
    client.force_login(staff["admin"])

    response = client.get(reverse("admin:residents_personaldataaccess_changelist"))

    assert response.status_code == 200
    assert "联系" in response.content.decode()


def test_pages_show_masks_only(client, staff, resident):
    client.force_login(staff["worker"])

    pages = [client.get(reverse("residents:search"), {"q": "王"}), client.get(reverse("residents:detail", args=[resident.pk]))]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "1101**********002X" in html and "138****8000" in html
        assert NUMBER not in html and PHONE not in html


def test_the_api_shows_masks_only(client, staff, resident):
    client.force_login(staff["worker"])

    listing = client.get("/api/v1/residents/")
    one = client.get(f"/api/v1/residents/{resident.pk}/")

    assert listing.json()["results"][0]["id_number"] == "1101**********002X"
    assert one.json()["phone"] == "138****8000"
    assert NUMBER not in listing.content.decode() + one.content.decode()


def test_exports_are_masked_logged_and_neutralise_formulas(client, staff, tree):
    ResidentFactory(grid=tree["G12"], name="=HYPERLINK(\"http://x\")", number=NUMBER, phone=PHONE,
                    registered_address="+1 娄底", relation_to_head="@SUM(A1)", ethnicity="-2")
    client.force_login(staff["worker"])

    csv_response = client.get(reverse("residents:export"), {"format": "csv"})
    xlsx_response = client.get(reverse("residents:export"), {"format": "xlsx"})

    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(b"".join(xlsx_response.streaming_content)), read_only=True).worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    for table in (rows, cells):
        assert len(table) == 2
        name, _g, _b, id_cell, phone_cell, ethnicity, _t, address, *_rest = table[1]
        assert (id_cell, phone_cell) == ("1101**********002X", "138****8000")
        assert name.startswith("'=") and address.startswith("'+") and ethnicity == "'-2"
        assert table[1][14] == "'@SUM(A1)"
    log = list(PersonalDataAccess.objects.filter(action="export").order_by("id"))
    assert [(e.actor, e.reason, e.row_count) for e in log] == [(staff["worker"], "csv", 1), (staff["worker"], "xlsx", 1)]


def test_exports_hold_only_the_users_scope(client, staff, tree):
    ResidentFactory(grid=tree["G12"], name="本网格")
    ResidentFactory(grid=tree["G21"], name="外网格")
    client.force_login(staff["worker"])

    text = b"".join(client.get(reverse("residents:export"), {"format": "csv"}).streaming_content).decode("utf-8-sig")

    assert "本网格" in text and "外网格" not in text


def test_the_embedded_mode_creates_a_private_key_file_once(settings, tmp_path):
    settings.GOVERNANCE_PII_KEY = ""
    settings.PII_KEY_FILE = tmp_path / "pii.key"

    cipher = crypto.encrypt("13800138000", field="phone")
    digest = crypto.lookup_hash("13800138000", field="phone")

    assert oct(os.stat(settings.PII_KEY_FILE).st_mode & 0o777) == "0o600"
    assert len(base64.b64decode(settings.PII_KEY_FILE.read_text())) == 32
    crypto.keys.cache_clear()
    assert crypto.decrypt(cipher, field="phone") == "13800138000"
    assert crypto.lookup_hash("13800138000", field="phone") == digest


def test_a_cipher_does_not_decrypt_as_another_field(resident):
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        crypto.decrypt(resident.id_cipher, field="phone")
