"""Seed one scoring scheme per level with the registry's default weights and DESIGN.md's bands."""

from django.db import migrations

LEVELS = ["street", "community", "grid", "department", "role"]


def seed(apps, schema_editor):
    from gridgov.evaluation.indicators import default_weights

    Scheme = apps.get_model("evaluation", "Scheme")
    Weight = apps.get_model("evaluation", "Weight")
    for level in LEVELS:
        scheme, created = Scheme.objects.get_or_create(level=level)
        if created:
            Weight.objects.bulk_create(
                [Weight(scheme=scheme, indicator=key, weight=value) for key, value in default_weights(level).items()]
            )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
