"""Foreign keys of the event that a composite index already leads with lose their own
index (every index is paid for by every filing and most transitions). Only the indexes
are dropped: the constraints stay as they are (AlterField would drop and re-add them,
checking every row of a table of a million events)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DOUBLED = {
    "category_id": "events_event_category_id_01d3a3ab",
    "command_area_id": "events_event_command_area_id_33a69a1f",
    "grid_id": "events_event_grid_id_4b6813cf",
    "primary_department_id": "events_event_primary_department_id_7a65866e",
    "reporter_id": "events_event_reporter_id_11d34b04",
}


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_name_en'),
        ('events', '0009_issue14_idempotency_per_reporter'),
        ('grids', '0002_name_en'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='event',
                    name='category',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='events.category', verbose_name='category'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='command_area',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='commanded_events', to='grids.area', verbose_name='command center'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='grid',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='grids.area', verbose_name='grid'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='primary_department',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='primary_events', to='accounts.department', verbose_name='primary department'),
                ),
                migrations.AlterField(
                    model_name='event',
                    name='reporter',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reported_events', to=settings.AUTH_USER_MODEL, verbose_name='reporter'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"', f'CREATE INDEX "{name}" ON "events_event" ("{column}")')
                for column, name in DOUBLED.items()
            ],
        ),
    ]
