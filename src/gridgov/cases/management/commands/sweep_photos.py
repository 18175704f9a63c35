"""``gridgov sweep-photos``: delete photo files no photo row refers to (for cron; see photos.py)."""

from datetime import timedelta

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.cases.photos import ORPHAN_GRACE, sweep_orphan_files


class Command(BaseCommand):
    help = _(
        "Delete case photo files that no photo refers to, left behind by reports and steps that were rolled back "
        "or cases that were deleted. Files younger than the grace period are kept: their transaction may still commit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=ORPHAN_GRACE.total_seconds() / 3600,
            metavar="HOURS",
            help=_("only files last written more than HOURS hours ago (default 24)"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("list the files, delete nothing"))

    def handle(self, *args, older_than: float, dry_run: bool, **options):
        if older_than < 0:
            raise CommandError(_("--older-than must be zero or a positive number of hours"))
        removed = sweep_orphan_files(older_than=timedelta(hours=older_than), dry_run=dry_run)
        for name in removed:
            self.stdout.write(f"  {name}")
        if dry_run:
            self.stdout.write(_("%(count)d unreferenced photo files would be deleted.") % {"count": len(removed)})
        else:
            self.stdout.write(_("%(count)d unreferenced photo files deleted.") % {"count": len(removed)})
