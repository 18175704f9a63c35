"""The reporter name's blind index, so the call centre can find a caller's cases by name (the
column itself is encrypted, gridgov/crypto.py). Existing rows are indexed here, in batches by id,
through the bulk writer, with the key from GRIDGOV_DATA_KEY or the data directory's key file."""

from django.db import migrations

import gridgov.crypto


def index_existing(apps, schema_editor):
    gridgov.crypto.fill_blind_indexes(apps.get_model("cases", "Case"), ["reporter_name_index"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_search_key_labels"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="reporter_name_index",
            field=gridgov.crypto.BlindIndexField(
                blank=True, db_index=True, default="", editable=False, max_length=64, normaliser="name",
                source="reporter_name", verbose_name="reporter name search key",
            ),
        ),  # fmt: skip
        # Reversing drops the column, and the indexes with it.
        migrations.RunPython(index_existing, migrations.RunPython.noop, elidable=True),
    ]
