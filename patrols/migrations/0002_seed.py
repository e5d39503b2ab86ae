from django.db import migrations


def seed(apps, schema_editor):
    from patrols.catalogue import catalogue_seed

    catalogue_seed(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0001_initial"),
        ("events", "0003_issue5_tracking_code"),
        # The event categories (default small classes) are seeded there.
        ("workflow", "0002_seed_catalogue_and_calendar"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
