from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.cases.hotline import HotlineFileError, ImportResult, RowProblem, import_hotline, write_refused_csv


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

    def handle(self, *args, **options):
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
