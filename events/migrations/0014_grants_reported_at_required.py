from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0013_grants_reported_at_filled'),
    ]

    operations = [
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
    ]
