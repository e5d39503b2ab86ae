"""Fill the grants' ``reported_at`` from their events, a batch of ids at a time, each
batch its own transaction (no lock held on the whole table; rows written meanwhile get
it from their writer or the trigger of 0012)."""

from django.db import migrations

BATCH = 20_000


def fill(apps, schema_editor):
    quote = schema_editor.quote_name
    for name in ("EventUserObjectPermission", "EventGroupObjectPermission"):
        table = quote(apps.get_model("events", name)._meta.db_table)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"SELECT min(id), max(id) FROM {table} WHERE reported_at IS NULL")
            low, high = cursor.fetchone()
            if low is None:
                continue
            for start in range(low, high + 1, BATCH):
                cursor.execute(
                    f"UPDATE {table} AS held SET reported_at = event.reported_at FROM events_event AS event "
                    f"WHERE event.id = held.content_object_id AND held.id >= %s AND held.id < %s AND held.reported_at IS NULL",
                    [start, start + BATCH],
                )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('events', '0012_grants_carry_reported_at'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
