from django.db import migrations, models


def offer_the_public_list(apps, schema_editor):
    """The seeded classes residents see (events.catalogue.PUBLIC); a city's own classes
    stay internal until an admin offers them."""
    from events.catalogue import PUBLIC

    apps.get_model("events", "Category").objects.filter(code__in=PUBLIC, parent__isnull=False).update(is_public=True)


class Migration(migrations.Migration):

    dependencies = [
        ("events", "0006_handle_by"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="is_public",
            field=models.BooleanField(default=False, verbose_name="offered to the public"),
        ),
        migrations.RunPython(offer_the_public_list, migrations.RunPython.noop),
    ]
