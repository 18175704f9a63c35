"""``gridgov backup PATH``: the database, the uploaded files and a manifest in one archive
(gridgov/ops/backup.py); the server may keep running meanwhile."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from gridgov.ops import backup


class Command(BaseCommand):
    help = _("Back up the database and the uploaded files into one archive (the data key only when asked).")

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the archive to write (a .tar file)"))
        parser.add_argument(
            "--include-data-key",
            action="store_true",
            help=_("also put the data key in the archive (whoever reads the archive can then read the personal data)"),
        )

    def handle(self, *args, path: str, include_data_key: bool, **options):
        try:
            outcome = backup.backup(
                Path(path), connection=connection, target=backup.current_target(), include_data_key=include_data_key
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        files = outcome.manifest["files"]
        media = sum(1 for name in files if name.startswith(backup.MEDIA_PREFIX))
        self.stdout.write(
            _("Backed up the %(database)s database and %(count)d uploaded files into %(path)s.")
            % {"database": outcome.manifest["database"], "count": media, "path": path}
        )
        for note in outcome.notes:
            self.stderr.write(note) if include_data_key else self.stdout.write(note)
