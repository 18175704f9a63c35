"""Requests still queued keep the reporter's name, phone and e-mail encrypted, like cases do
(services.seal_personal); rows already taken in hold an empty report and are left alone."""

from django.db import migrations


def seal_queued(apps, schema_editor):
    from gridgov.open311.services import seal_personal

    Submission = apps.get_model("open311", "Submission")
    for submission in Submission.objects.filter(state="queued").only("id", "report").iterator():
        stored = dict(submission.report or {})
        if "personal" in stored or not stored:
            continue
        name, phone, email = (stored.pop(key, "") for key in ("name", "phone", "email"))
        stored["personal"] = seal_personal(name, phone, email)
        Submission.objects.filter(pk=submission.pk).update(report=stored)


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0002_intake_queue"),
        ("cases", "0010_encrypt_reporter_details"),
    ]

    operations = [migrations.RunPython(seal_queued, migrations.RunPython.noop, elidable=True)]
