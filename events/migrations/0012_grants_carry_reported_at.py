"""Each django-guardian grant on an event carries the event's ``reported_at``, indexed per
holder in list order (a department's list walks its grants newest first)."""

from django.db import migrations, models

_BACKFILL = """
    UPDATE {table} AS grant_row SET reported_at = event.reported_at
    FROM events_event AS event WHERE event.id = grant_row.content_object_id
"""


def backfill(apps, schema_editor):
    for name in ("EventUserObjectPermission", "EventGroupObjectPermission"):
        model = apps.get_model("events", name)
        schema_editor.execute(_BACKFILL.format(table=schema_editor.quote_name(model._meta.db_table)))


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0011_open_events_near_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='eventgroupobjectpermission',
            name='reported_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='reported at'),
        ),
        migrations.AddField(
            model_name='eventuserobjectpermission',
            name='reported_at',
            field=models.DateTimeField(editable=False, null=True, verbose_name='reported at'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='eventgroupobjectpermission',
            name='reported_at',
            field=models.DateTimeField(editable=False, verbose_name='reported at'),
        ),
        migrations.AlterField(
            model_name='eventuserobjectpermission',
            name='reported_at',
            field=models.DateTimeField(editable=False, verbose_name='reported at'),
        ),
        migrations.AddIndex(
            model_name='eventgroupobjectpermission',
            index=models.Index(fields=['group', 'permission', '-reported_at', '-content_object'], name='events_group_grant_newest'),
        ),
        migrations.AddIndex(
            model_name='eventuserobjectpermission',
            index=models.Index(fields=['user', 'permission', '-reported_at', '-content_object'], name='events_user_grant_newest'),
        ),
    ]
