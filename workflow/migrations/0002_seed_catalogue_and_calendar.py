"""Seed the category catalogue with SLA policies and the default work calendar."""

from django.db import migrations


def seed(apps, schema_editor):
    from events.catalogue import catalogue_load
    from workflow.calendar_seed import calendar_seed

    catalogue_load(apps)
    calendar_seed(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0001_initial"),
        ("events", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
