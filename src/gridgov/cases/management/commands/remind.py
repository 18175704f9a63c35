"""``gridgov remind``: one pass of due-soon and overdue reminders (for cron), or a loop."""

import time

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.cases.reminders import run_reminders


class Command(BaseCommand):
    help = _("Send due-soon and overdue reminders for open cases once (for cron), or every N seconds with --every.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=0, metavar="SECONDS", help=_("keep running, one pass every SECONDS seconds")
        )

    def handle(self, *args, every: int, **options):
        if every < 0:
            raise CommandError(_("--every must be a positive number of seconds"))
        while True:
            started = time.monotonic()
            run = run_reminders()
            self.stdout.write(
                _("Reminders: %(due_soon)d due soon, %(overdue)d overdue, %(supervised)d newly supervised; "
                  "%(sent)d notifications sent, %(failed)d failed.") % run.as_dict()
            )  # fmt: skip
            self.stdout.flush()
            if not every:
                return
            time.sleep(max(0.0, every - (time.monotonic() - started)))
