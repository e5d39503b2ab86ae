"""The grants' indexes in list order per holder, built without blocking writes on
PostgreSQL (``CREATE INDEX CONCURRENTLY``, outside a transaction)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class AddIndexConcurrentlyWherePossible(AddIndexConcurrently):
    """``AddIndexConcurrently`` on PostgreSQL, a plain ``AddIndex`` elsewhere (SQLite)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return migrations.AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('events', '0014_grants_reported_at_required'),
    ]

    operations = [
        AddIndexConcurrentlyWherePossible(
            model_name='eventgroupobjectpermission',
            index=models.Index(fields=['group', 'permission', '-reported_at', '-content_object'], name='events_group_grant_newest'),
        ),
        AddIndexConcurrentlyWherePossible(
            model_name='eventuserobjectpermission',
            index=models.Index(fields=['user', 'permission', '-reported_at', '-content_object'], name='events_user_grant_newest'),
        ),
    ]
