"""Keyed hashes of ID and phone numbers as their 32 bytes (``bytea``) instead of 64 hex
characters: half the size of the column and of its indexes, and the unique ID-hash
index no longer has a text-pattern twin (Django adds one to every indexed ``varchar``
on PostgreSQL; nothing searches a hash by prefix). The values are converted in place;
Python code still sees hex text (``KeyedHashField``)."""

from django.db import migrations

import residents.models

PHONE_INDEX = "residents_phone_hash"


def _like_indexes(cursor) -> list[str]:
    cursor.execute(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'residents_resident' "
        "AND indexdef LIKE '%%(id_hash varchar_pattern_ops)%%'"
    )
    return [name for (name,) in cursor.fetchall()]


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            for name in _like_indexes(cursor):
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.execute(f"DROP INDEX {PHONE_INDEX}")
            cursor.execute(
                "ALTER TABLE residents_resident ALTER COLUMN id_hash TYPE bytea USING decode(id_hash, 'hex'), "
                "ALTER COLUMN phone_hash TYPE bytea USING decode(phone_hash, 'hex')"
            )
            cursor.execute(f"CREATE INDEX {PHONE_INDEX} ON residents_resident (phone_hash) WHERE NOT (phone_hash = ''::bytea)")
            return
        # SQLite keeps any value in any column: convert the values, and the index's condition.
        cursor.execute("SELECT id, id_hash, phone_hash FROM residents_resident")
        for pk, id_hash, phone_hash in cursor.fetchall():
            cursor.execute("UPDATE residents_resident SET id_hash = %s, phone_hash = %s WHERE id = %s",
                           [bytes.fromhex(id_hash), bytes.fromhex(phone_hash), pk])
        cursor.execute(f"DROP INDEX {PHONE_INDEX}")
        cursor.execute(f"CREATE INDEX {PHONE_INDEX} ON residents_resident (phone_hash) WHERE NOT (phone_hash = X'')")


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX {PHONE_INDEX}")
            cursor.execute(
                "ALTER TABLE residents_resident ALTER COLUMN id_hash TYPE varchar(64) USING encode(id_hash, 'hex'), "
                "ALTER COLUMN phone_hash TYPE varchar(64) USING encode(phone_hash, 'hex')"
            )
            cursor.execute("CREATE INDEX residents_resident_id_hash_b43a60e3_like ON residents_resident (id_hash varchar_pattern_ops)")
            cursor.execute(f"CREATE INDEX {PHONE_INDEX} ON residents_resident (phone_hash) WHERE NOT (phone_hash = '')")
            return
        cursor.execute("SELECT id, id_hash, phone_hash FROM residents_resident")
        for pk, id_hash, phone_hash in cursor.fetchall():
            cursor.execute("UPDATE residents_resident SET id_hash = %s, phone_hash = %s WHERE id = %s",
                           [bytes(id_hash).hex(), bytes(phone_hash).hex(), pk])
        cursor.execute(f"DROP INDEX {PHONE_INDEX}")
        cursor.execute(f"CREATE INDEX {PHONE_INDEX} ON residents_resident (phone_hash) WHERE NOT (phone_hash = '')")


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_access_log_append_only")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(model_name="resident", name="id_hash", field=residents.models.KeyedHashField(unique=True)),
                migrations.AlterField(model_name="resident", name="phone_hash",
                                      field=residents.models.KeyedHashField(blank=True, default="")),
            ],
        ),
    ]
