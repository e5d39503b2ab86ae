"""On PostgreSQL the personal-data access log refuses UPDATE and DELETE in the database
itself, whatever code (or SQL console) tries it."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION residents_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the personal-data access log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER residents_access_log_append_only
    BEFORE UPDATE OR DELETE ON residents_personaldataaccess
    FOR EACH ROW EXECUTE FUNCTION residents_access_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS residents_access_log_append_only ON residents_personaldataaccess;
DROP FUNCTION IF EXISTS residents_access_log_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("residents", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
