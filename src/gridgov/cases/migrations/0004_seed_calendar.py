"""Seed the working calendar with the official days off and make-up working days of
gridgov.workcalendar.holidays (once; edited rows are kept, see gridgov.cases.catalogue.seed_calendar)."""

from django.db import migrations


def seed(apps, schema_editor):
    from gridgov.cases.catalogue import seed_calendar

    seed_calendar(apps.get_model("cases", "CalendarDay"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_seed_catalogue")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
