"""``gridgov briefing --month YYYY-MM [--format md|docx] [--output PATH]``: the monthly
briefing for the office that prints it. Markdown goes to standard output unless --output is
given; Word needs a file (default ``briefing-YYYY-MM.docx``)."""

import re
from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.economy.briefing import monthly_briefing


class Command(BaseCommand):
    help = _("Write the monthly briefing (January to the given month) as Markdown or Word.")

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help=_("the last month of the period, as YYYY-MM"))
        parser.add_argument("--format", choices=["md", "docx"], default="md", help=_("md (default) or docx"))
        parser.add_argument("--output", help=_("the file to write (Markdown goes to standard output without it)"))

    def handle(self, *args, month, format, output, **options):
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", month)
        if not match or not 2 <= int(match[2]) <= 12:
            raise CommandError(
                _("--month must be YYYY-MM with a month from 02 to 12 (January and February are reported together).")
            )
        year, last = int(match[1]), int(match[2])
        briefing = monthly_briefing(year, last)
        if briefing is None:
            raise CommandError(_("No district is marked as this district; import the economy's districts first."))
        if format == "md":
            text = briefing.markdown()
            if output:
                Path(output).write_text(text, encoding="utf-8")
                self.stdout.write(_("Wrote %(path)s.") % {"path": output})
            else:
                self.stdout.write(text, ending="")
            return
        path = Path(output or f"briefing-{year}-{last:02d}.docx")
        path.write_bytes(briefing.docx())
        self.stdout.write(_("Wrote %(path)s.") % {"path": path})
