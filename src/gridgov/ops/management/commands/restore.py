"""``gridgov restore PATH``: put a ``gridgov backup`` archive back, into an empty data directory
(or over a non-empty one with ``--force``). The archive is checked whole before anything is written."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from gridgov.ops import backup


class Command(BaseCommand):
    help = _("Restore a backup archive into an empty data directory and database.")

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the archive written by gridgov backup"))
        parser.add_argument("--force", action="store_true", help=_("replace a database and media files that are already there"))

    def handle(self, *args, path: str, force: bool, **options):
        connections.close_all()  # the restore replaces the database under any open connection
        try:
            outcome = backup.restore(Path(path), target=backup.current_target(), force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        media = sum(1 for name in outcome.manifest["files"] if name.startswith(backup.MEDIA_PREFIX))
        self.stdout.write(
            _("Restored the database and %(count)d uploaded files from the backup made on %(created)s.")
            % {"count": media, "created": outcome.manifest["created"]}
        )
        for note in outcome.notes:
            self.stdout.write(note)
