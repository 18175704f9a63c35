"""Seed the key industries and the project-problem case categories (once; edited rows stay)."""

from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.projects.catalogue import seed_industries, seed_problem_categories

    seed_industries(apps.get_model("projects", "Industry"))
    seed_problem_categories(apps.get_model("cases", "Category"), apps.get_model("accounts", "Department"))


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        ("cases", "0008_suspended_at_is_a_clock_anchor"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
