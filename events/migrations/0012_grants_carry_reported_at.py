"""Each django-guardian grant on an event carries the event's ``reported_at`` (a
department's list walks its grants newest first), in four steps that keep the grant
tables readable during a deploy: this one adds the column (no rewrite) and, on
PostgreSQL, a trigger that fills it on insert from the event when the writer did not
(processes still running the previous release, django-guardian's bulk helpers); 0013
fills the existing rows in batches, each its own transaction; 0014 makes it required;
0015 builds the indexes without blocking writes."""

from django.db import migrations, models

_TRIGGER = """
CREATE OR REPLACE FUNCTION events_grant_fill_reported_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reported_at IS NULL THEN
        SELECT event.reported_at INTO NEW.reported_at FROM events_event AS event WHERE event.id = NEW.content_object_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER events_group_grant_fill_reported_at BEFORE INSERT ON events_eventgroupobjectpermission
    FOR EACH ROW EXECUTE FUNCTION events_grant_fill_reported_at();
CREATE TRIGGER events_user_grant_fill_reported_at BEFORE INSERT ON events_eventuserobjectpermission
    FOR EACH ROW EXECUTE FUNCTION events_grant_fill_reported_at();
"""
_NO_TRIGGER = """
DROP TRIGGER IF EXISTS events_group_grant_fill_reported_at ON events_eventgroupobjectpermission;
DROP TRIGGER IF EXISTS events_user_grant_fill_reported_at ON events_eventuserobjectpermission;
DROP FUNCTION IF EXISTS events_grant_fill_reported_at();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


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
        migrations.RunPython(_on_postgresql(_TRIGGER), _on_postgresql(_NO_TRIGGER)),
    ]
