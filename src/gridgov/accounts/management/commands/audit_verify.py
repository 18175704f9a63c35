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

    def handle(self, *args, **options):
        report = verify_chain(options["database"])
        if report.first_break is not None:
            raise CommandError(
                _("The audit log is broken at event %(id)s: %(reason)s. %(count)s events before it are intact.")
                % {"id": report.first_break.event_id, "reason": report.first_break.reason, "count": report.checked},
                returncode=1,
            )
        self.stdout.write(_("The audit log is intact: %(count)s events checked.") % {"count": report.checked})
