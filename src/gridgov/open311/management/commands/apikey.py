from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gridgov.open311.models import ApiKey
from gridgov.open311.services import create_api_key, revoke_api_key


class Command(BaseCommand):
    help = "Open311 API keys: create NAME (prints the key once), list, revoke NAME|PREFIX."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a key for a client; the key is printed once and stored hashed")
        create.add_argument("name")
        actions.add_parser("list", help="list the keys (prefix, use, revocation)")
        revoke = actions.add_parser("revoke", help="revoke a key by client name or key prefix")
        revoke.add_argument("name_or_prefix")

    def handle(self, *args, action, **options):
        try:
            if action == "create":
                api_key, plain = create_api_key(options["name"])
                self.stdout.write(f"API key for {api_key.name} (shown once, store it now):")
                self.stdout.write(plain)
            elif action == "revoke":
                api_key = revoke_api_key(options["name_or_prefix"])
                self.stdout.write(f"revoked {api_key.name} ({api_key.prefix}…) at {timezone.localtime(api_key.revoked_at):%Y-%m-%d %H:%M}")
            else:
                self._list()
        except ValueError as error:
            raise CommandError(str(error)) from error

    def _list(self):
        keys = ApiKey.objects.all()
        if not keys:
            self.stdout.write("no API keys")
        for key in keys:
            state = f"revoked {_local(key.revoked_at)}" if key.revoked_at else "active"
            used = _local(key.last_used_at) if key.last_used_at else "never"
            self.stdout.write(f"{key.prefix}…  {key.name:<30}  created {_local(key.created_at)}  last used {used}  {state}")


def _local(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
