"""``gridgov demo``: migrate, build the sample district once, create demo accounts and serve."""

from django.core.management import BaseCommand, CommandError, call_command
from django.utils.translation import gettext as _

from gridgov.demo import DEFAULT_SEED, DEMO_PASSWORD

from .serve import add_server_arguments, collect_static_files, serve_forever


class Command(BaseCommand):
    help = _("Build the sample demo district (unless it is there already), create demo accounts and serve it.")
    requires_system_checks = []  # the database may not be migrated yet; we migrate first

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=_("random seed of the district"))
        parser.add_argument("--no-serve", action="store_true", help=_("only build the demo; do not serve it"))
        parser.add_argument("--no-cases", action="store_true", help=_("build the district without its year of cases"))
        parser.add_argument(
            "--rebuild", action="store_true", help=_("remove the demo district and its accounts, then build it again")
        )

    def handle(self, *args, host, port, workers, threads, seed, no_serve, rebuild, no_cases, task_worker=True, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=0)
        built = self._build(seed, rebuild, progress=verbosity > 1, cases=not no_cases)
        accounts = self._accounts()
        if built and not no_cases:
            self._live_cases()
        collect_static_files()
        self._print_accounts(accounts, host, port)
        if not no_serve:
            serve_forever(host, port, workers, threads, task_worker=task_worker)

    def _build(self, seed: int, rebuild: bool, progress: bool, cases: bool) -> bool:
        from gridgov.demo.build import DemoError, build_demo_district, demo_district_exists, remove_demo_district

        try:
            if rebuild and demo_district_exists():
                remove_demo_district()
                self.stdout.write(_("Removed the previous demo district."))
            if demo_district_exists():
                self.stdout.write(_("The demo district is already built (use --rebuild to build it again)."))
                return False
            self.stdout.write(_("Building the demo district (seed %(seed)d)…") % {"seed": seed})
            summary = build_demo_district(seed, progress=progress, cases=cases)
        except DemoError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _(
                "Built %(streets)d streets, %(communities)d communities, %(grids)d grids, %(staff)d staff, "
                "%(members)d party members and %(centres)d service centres in %(seconds).1f s."
            )
            % {
                "streets": summary.streets,
                "communities": summary.communities,
                "grids": summary.grids,
                "staff": summary.staff,
                "members": summary.party_members,
                "centres": summary.service_centres,
                "seconds": summary.seconds,
            }
        )
        self.stdout.write(_("Wrote a year of case history: %(cases)d cases.") % {"cases": summary.cases})
        return True

    def _live_cases(self) -> None:
        from gridgov.demo.cases import create_live_cases

        count = create_live_cases()
        self.stdout.write(_("Put %(count)d live cases in the demo accounts' inboxes.") % {"count": count})

    def _accounts(self):
        from gridgov.demo.users import create_demo_users

        return create_demo_users()

    def _print_accounts(self, accounts, host: str, port: int) -> None:
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        self.stdout.write("")
        self.stdout.write(_("gridgov demo: http://%(host)s:%(port)s/") % {"host": shown_host, "port": port})
        self.stdout.write(_("Every demo account has the password: %(password)s") % {"password": DEMO_PASSWORD})
        self.stdout.write(_("All names in the demo district are sample data."))
        header = (_("username"), _("role"), _("scope"))
        rows = [header, *[(a.username, a.role_label, a.scope) for a in accounts]]
        widths = [max(_display_width(row[i]) for row in rows) for i in range(2)]
        for row in rows:
            cells = [row[i] + " " * (widths[i] - _display_width(row[i])) for i in range(2)]
            self.stdout.write("  ".join([*cells, row[2]]))
        secrets = [(a.username, a.totp_secret) for a in accounts if a.totp_secret]
        if secrets:
            self.stdout.write("")
            self.stdout.write(
                _(
                    "The three administrators need a second factor: add their TOTP secret to an authenticator app, "
                    "or print the current codes with: %(command)s"
                )
                % {"command": "python -m gridgov.demo.totp"}
            )
            width = max(_display_width(username) for username, _secret in secrets)
            for username, secret in secrets:
                self.stdout.write(f"  {username}{' ' * (width - _display_width(username))}  {secret}")
        self.stdout.write("")
        self.stdout.flush()


def _display_width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters are two wide."""
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)
