from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.cases.hotline import HotlineFileError, ImportResult, RowProblem, import_hotline, read_rows, write_refused_csv


class Command(BaseCommand):
    help = _(
        "Import 12345 hotline work orders from CSV (UTF-8 or GB18030) or Excel (.xlsx). Every row is "
        "checked first; each good row is then imported in its own transaction, so a bad row never "
        "blocks the good ones (use --strict for all or nothing). Rows already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("CSV or .xlsx export of the hotline system"))
        parser.add_argument("--dry-run", action="store_true", help=_("check every row, import nothing"))
        parser.add_argument("--strict", action="store_true", help=_("import nothing unless every row is good"))
        parser.add_argument("--gcj02", action="store_true", help=_("经度/纬度 are GCJ-02 from a consumer map app"))
        parser.add_argument("--report", metavar="PATH", help=_("write the refused rows to this CSV file"))
        parser.add_argument(
            "--queue",
            metavar="USERNAME",
            help=_("check the file, then import it as a background task; this staff user follows it on its status page"),
        )

    def handle(self, *args, **options):
        if options["queue"]:
            self._queue(options)
            return
        try:
            result = import_hotline(options["path"], gcj02=options["gcj02"], dry_run=options["dry_run"], strict=options["strict"])
        except HotlineFileError as error:
            raise CommandError(str(error)) from error
        self._write_summary(result)
        for problem in result.skipped:
            self.stdout.write("  " + _("row %(row)5d  %(order)-20s  skipped: %(reason)s") % _row_values(problem))
        if result.refused:
            row_label, reason_label = _("row"), _("reason")  # column headings
            self.stdout.write(f"  {row_label:>9}  {'工单编号':<20}  {reason_label}")
            for problem in result.refused:
                self.stdout.write("  " + _("row %(row)5d  %(order)-20s  %(reason)s") % _row_values(problem))
        if options["report"]:
            write_refused_csv(result, options["report"])
            self.stdout.write(_("refused rows written to %(path)s") % {"path": options["report"]})
        if result.refused and (result.strict or result.dry_run):
            raise CommandError(_("%(count)d rows refused") % {"count": len(result.refused)})

    def _queue(self, options) -> None:
        from gridgov.cases.jobs import import_hotline_orders
        from gridgov.ops import filejobs

        if options["dry_run"] or options["report"]:
            raise CommandError(_("--queue cannot be combined with --dry-run or --report"))
        user = get_user_model().objects.filter(username=options["queue"], is_active=True).exclude(role=Role.RESIDENT).first()
        if user is None:
            raise CommandError(_("no active staff user is called %(name)s") % {"name": options["queue"]})
        path = Path(options["path"])
        try:
            read_rows(path)  # the file as a whole is readable; its rows are checked by the task
        except HotlineFileError as error:
            raise CommandError(str(error)) from error
        params = {"name": path.name, "gcj02": options["gcj02"], "strict": options["strict"]}
        token = filejobs.start_import(
            user, import_hotline_orders, path.read_bytes(), params, filename=path.name, back=reverse("cases:list")
        )
        url = reverse("jobs:status", args=[token])
        self.stdout.write(_("queued; %(user)s follows the import at %(url)s") % {"user": user.username, "url": url})

    def _write_summary(self, result: ImportResult) -> None:
        if result.dry_run:
            self.stdout.write(_("dry run: %(summary)s") % {"summary": result.summary()})
        else:
            self.stdout.write(result.summary())
        if result.strict and result.refused and not result.dry_run:
            self.stdout.write(_("--strict: nothing was imported because some rows were refused"))
        elif not result.dry_run and result.refused:
            self.stdout.write(_("each good row was imported on its own; the refused rows below changed nothing"))


def _row_values(problem: RowProblem) -> dict:
    return {"row": problem.row, "order": problem.external_id, "reason": problem.reason}
