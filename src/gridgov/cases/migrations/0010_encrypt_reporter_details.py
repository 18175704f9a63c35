"""Reporters' names, phones and e-mails encrypted at rest (gridgov/crypto.py), and the phone's
blind index the public look-up compares. Existing rows are encrypted here, in batches by id,
with the key from GRIDGOV_DATA_KEY or the data directory's key file."""

import django.core.validators
from django.db import migrations

import gridgov.crypto

BATCH = 2000
COLUMNS = ("reporter_name", "reporter_phone", "reporter_email")


def _rows(connection, table: str, after: int):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {quote('id')}, {', '.join(quote(c) for c in COLUMNS)} FROM {quote(table)} "
            f"WHERE {quote('id')} > %s ORDER BY {quote('id')} LIMIT {BATCH}",
            [after],
        )
        return cursor.fetchall()


def _rewrite(apps, schema_editor, convert, index) -> None:
    connection = schema_editor.connection
    table = apps.get_model("cases", "Case")._meta.db_table
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(c)} = %s" for c in (*COLUMNS, "reporter_phone_index"))
    sql = f"UPDATE {quote(table)} SET {assignments} WHERE {quote('id')} = %s"
    after = 0
    while rows := _rows(connection, table, after):
        updates = []
        for pk, name, phone, email in rows:
            plain_phone = gridgov.crypto.decrypt(phone or "")
            updates.append([convert(name or ""), convert(phone or ""), convert(email or ""), index(plain_phone), pk])
        with connection.cursor() as cursor:
            cursor.executemany(sql, updates)
        after = rows[-1][0]


def encrypt_existing(apps, schema_editor):
    def convert(value: str) -> str:
        return value if gridgov.crypto.is_encrypted(value) else gridgov.crypto.encrypt(value)

    _rewrite(apps, schema_editor, convert, lambda phone: gridgov.crypto.blind_index(phone, "digits"))


def decrypt_existing(apps, schema_editor):
    _rewrite(apps, schema_editor, gridgov.crypto.decrypt, lambda phone: "")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_step_public_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="reporter_phone_index",
            field=gridgov.crypto.BlindIndexField(
                blank=True, db_index=True, default="", editable=False, max_length=64, normaliser="digits", source="reporter_phone"
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="reporter_email",
            field=gridgov.crypto.EncryptedTextField(
                blank=True, max_length=254, validators=[django.core.validators.EmailValidator()], verbose_name="reporter e-mail"
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="reporter_name",
            field=gridgov.crypto.EncryptedTextField(blank=True, max_length=50, verbose_name="reporter name"),
        ),
        migrations.AlterField(
            model_name="case",
            name="reporter_phone",
            field=gridgov.crypto.EncryptedTextField(blank=True, max_length=20, verbose_name="reporter phone"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=True),
    ]
