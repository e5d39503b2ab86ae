"""One person, one record (issue 15): the ID hash of a 15-digit number is now taken of
its 18-character form, and phone numbers are stored in one canonical form
(``residents.phones.phone_normalise``: ``0738-8312345`` → ``07388312345``).

Only rows that change are touched: residents with a 15-digit ID number (mask of 15
characters) and with a phone that is not an 11-digit mobile. A 15-digit record whose
18-character form is registered already (two records of one person from before) keeps
its old hash and is listed in the output, to be merged by hand.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from residents import crypto
    from residents.ids import InvalidNumber
    from residents.phones import phone_normalise

    Resident = apps.get_model("residents", "Resident")
    legacy = Resident.objects.filter(id_mask__regex=r"^.{15}$").only("id", "id_cipher", "id_hash")
    for resident in legacy.iterator(chunk_size=2000):
        value = crypto.decrypt(resident.id_cipher, field="id_number")
        new_hash = crypto.lookup_hash(value, field="id_number")
        if Resident.objects.filter(id_hash=new_hash).exclude(pk=resident.pk).exists():
            print(f"\n  resident {resident.pk}: its 18-character ID number is registered already; merge by hand")
            continue
        Resident.objects.filter(pk=resident.pk).update(id_hash=new_hash)
    phones = Resident.objects.exclude(phone_mask="").exclude(phone_mask__regex=r"^1[0-9]{2}\*{4}[0-9]{4}$")
    for resident in phones.only("id", "phone_cipher").iterator(chunk_size=2000):
        value = crypto.decrypt(resident.phone_cipher, field="phone")
        try:
            normal = phone_normalise(value)
        except InvalidNumber:
            continue
        if normal != value:
            cipher, hashed, mask = crypto.protect(normal, field="phone")
            Resident.objects.filter(pk=resident.pk).update(phone_cipher=cipher, phone_hash=hashed, phone_mask=mask)


class Migration(migrations.Migration):
    dependencies = [("residents", "0007_import_sheet_and_notes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
