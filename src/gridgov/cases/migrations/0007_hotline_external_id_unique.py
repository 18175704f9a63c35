"""One case per 12345 hotline work order (工单编号), enforced by the database.

Before the constraint, two imports of the same export running at once could both insert a work
order. If a database already holds such duplicates, the constraint cannot be added: this
migration stops first and names them, so they can be merged or renumbered by hand.
"""

from django.db import migrations, models
from django.db.models import Count
from django.utils.translation import gettext as _


def refuse_duplicate_work_orders(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    repeated = (
        Case.objects.filter(source="hotline")
        .exclude(external_id="")
        .values("external_id")
        .annotate(cases=Count("id"))
        .filter(cases__gt=1)
        .values_list("external_id", flat=True)
    )
    repeated = sorted(repeated)
    if repeated:
        raise RuntimeError(
            _("These hotline work orders (工单编号) are held by more than one case; merge the duplicates or clear their external number, then migrate again: %(orders)s")
            % {"orders": ", ".join(repeated[:50])}
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_category_created_index")]

    operations = [
        migrations.RunPython(refuse_duplicate_work_orders, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(("source", "hotline"), models.Q(("external_id", ""), _negated=True)),
                fields=("external_id",),
                name="case_hotline_external_id_unique",
            ),
        ),
    ]
