"""Seed the GB/T 30428.2 category catalogue and the departments that handle it (once; rows
edited in the admin afterwards are never overwritten, see gridgov.cases.catalogue)."""

from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.cases.catalogue import seed_catalogue

    seed_catalogue(apps.get_model("cases", "Category"), apps.get_model("accounts", "Department"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_departments"),
        ("cases", "0002_rate_counter"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
