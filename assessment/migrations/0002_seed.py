from django.db import migrations


def seed(apps, schema_editor):
    from assessment.seed import ratio_seed

    ratio_seed(apps.get_model("assessment", "RatioDefinition"), apps.get_model("assessment", "ScoreFormula"),
               apps.get_model("assessment", "PointRule"))


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
