"""The counters are kept at grid level only (``campaigns.counters``): the rows of the
nodes above the grids are summed from the grids' rows when read, so the stored ones
go."""

from django.db import migrations

GRID_LEVELS = ("grid", "subgrid")


def drop_node_rows(apps, schema_editor):
    Progress = apps.get_model("campaigns", "Progress")
    Progress.objects.filter(worker__isnull=True).exclude(area__level__in=GRID_LEVELS).delete()


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0001_initial")]

    operations = [migrations.RunPython(drop_node_rows, migrations.RunPython.noop)]
