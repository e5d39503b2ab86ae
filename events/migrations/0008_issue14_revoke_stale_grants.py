"""Remove the departments' ``view_event`` grants that outlived their work (issue 14).

Before, a department kept its grant after returning an event, being replaced by a new
dispatch or escalation, or a special closure. The rule (workflow/grants.py): a grant
stands while the department's assignment on the event is active."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def revoke_stale(apps, schema_editor):
    EventDepartment = apps.get_model("events", "EventDepartment")
    EventGroupObjectPermission = apps.get_model("events", "EventGroupObjectPermission")
    active = EventDepartment.objects.filter(
        event_id=OuterRef("content_object_id"), department__group_id=OuterRef("group_id"), ended_at__isnull=True,
    )
    EventGroupObjectPermission.objects.filter(group__department__isnull=False).exclude(Exists(active)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_public_categories"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(revoke_stale, migrations.RunPython.noop)]
