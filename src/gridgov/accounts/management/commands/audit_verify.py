"""``gridgov audit-verify``: recompute the audit log's hash chain and name the first broken event.

Exit status 0 when the whole chain holds, 1 when an event was changed, removed or inserted
(the message names the first event that no longer fits; everything after it is suspect too).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.accounts.auditlog import verify_chain


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain and name the first event that breaks it."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default", help="Database alias to check.")
        parser.add_argument(
            "--start-hash", default="", help="Hash of the last archived event, when older events were archived away."
        )

    def handle(self, *args, **options):
        report = verify_chain(options["database"], options["start_hash"])
        broken = report.first_break
        if broken is not None:
            if broken.reason == "link":
                text = _(
                    "The audit log is broken at event %(id)s: the event before it was removed or changed, "
                    "or this one was inserted. %(count)s events before it are intact."
                )
            else:
                text = _(
                    "The audit log is broken at event %(id)s: its content was changed. %(count)s events before it are intact."
                )
            raise CommandError(text % {"id": broken.event_id, "count": report.checked}, returncode=1)
        self.stdout.write(_("The audit log is intact: %(count)s events checked.") % {"count": report.checked})
