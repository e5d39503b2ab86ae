from django.db import migrations


def seed(apps, schema_editor):
    """巡查覆盖率, 按期巡查率, 有效发现率 as assessment ratios, and in the standard score."""
    from assessment.seed import patrol_ratio_seed

    try:
        patrol_ratio = apps.get_model("patrols", "PatrolRatio")
    except LookupError:
        patrol_ratio = None
    patrol_ratio_seed(apps.get_model("assessment", "RatioDefinition"), apps.get_model("assessment", "ScoreFormula"),
                      patrol_ratio)


class Migration(migrations.Migration):

    dependencies = [
        ("assessment", "0003_patrol_points"),
        ("patrols", "0002_seed"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
