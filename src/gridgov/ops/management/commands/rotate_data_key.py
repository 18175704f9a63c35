"""``gridgov rotate-data-key``: re-encrypt every stored personal value under the newest data key.

Rotation in three steps: put a new key first (``--new-key`` does it in the data dir's key file;
with GRIDGOV_DATA_KEY, prepend the printed key to the variable yourself and restart), run this
command, then drop the old keys from the list. Until then values under any listed key are read.
"""

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov import crypto


class Command(BaseCommand):
    help = _("Re-encrypt every stored personal value (names, phones, e-mails) under the newest data key.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key",
            action="store_true",
            help=_("first put a newly generated key at the top of the data directory's key file"),
        )

    def handle(self, *args, new_key: bool, **options):
        from django.conf import settings

        if new_key:
            if getattr(settings, "GRIDGOV_DATA_KEYS", None):
                raise CommandError(
                    _(
                        "The keys come from GRIDGOV_DATA_KEY. Put this new key first in it, restart, and run the command again: %(key)s"
                    )
                    % {"key": crypto.generate_key()}
                )
            path = crypto.key_file_path()
            keys = crypto.read_key_file(path) if path.exists() else []
            crypto.write_key_file(path, [crypto.generate_key(), *keys])
            self.stdout.write(
                _("A new key was added to %(path)s; older keys stay listed until you remove them.") % {"path": path}
            )
        total = 0
        for model in crypto.encrypted_models():
            total += crypto.reencrypt_model(model)
        from gridgov.open311.services import reseal_queued

        total += reseal_queued()
        self.stdout.write(
            _("%(count)d rows now use the newest key (%(fingerprint)s); the older keys can be removed from the list.")
            % {"count": total, "fingerprint": crypto.newest_key_fingerprint()}
        )
