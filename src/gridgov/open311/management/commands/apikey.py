from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.open311.selectors import api_keys
from gridgov.open311.services import create_api_key, revoke_api_key


class Command(BaseCommand):
    help = _("Open311 API keys: create NAME (prints the key once), list, revoke NAME|PREFIX.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help=_("issue a key for a client; the key is printed once and stored hashed"))
        create.add_argument("name")
        actions.add_parser("list", help=_("list the keys (prefix, use, revocation)"))
        revoke = actions.add_parser("revoke", help=_("revoke a key by client name or key prefix"))
        revoke.add_argument("name_or_prefix")

    def handle(self, *args, action, **options):
        try:
            if action == "create":
                api_key, plain = create_api_key(options["name"])
                self.stdout.write(_("API key for %(name)s (shown once, store it now):") % {"name": api_key.name})
                self.stdout.write(plain)
            elif action == "revoke":
                api_key = revoke_api_key(options["name_or_prefix"])
                self.stdout.write(
                    _("revoked %(name)s (%(prefix)s…) at %(time)s")
                    % {"name": api_key.name, "prefix": api_key.prefix, "time": _local(api_key.revoked_at)}
                )
            else:
                self._list()
        except ValueError as error:
            raise CommandError(str(error)) from error

    def _list(self):
        keys = api_keys()
        if not keys:
            self.stdout.write(_("no API keys"))
        for key in keys:
            self.stdout.write(
                _("%(prefix)s…  %(name)-30s  created %(created)s  last used %(used)s  %(state)s")
                % {
                    "prefix": key.prefix,
                    "name": key.name,
                    "created": _local(key.created_at),
                    "used": _local(key.last_used_at) if key.last_used_at else _("never"),
                    "state": _("revoked %(time)s") % {"time": _local(key.revoked_at)} if key.revoked_at else _("active"),
                }
            )


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
