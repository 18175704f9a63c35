from django.core.management.base import BaseCommand, CommandError

from gridgov.cases.hotline import HotlineFileError, import_hotline, write_refused_csv


class Command(BaseCommand):
    help = (
        "Import 12345 hotline work orders from CSV (UTF-8 or GB18030) or Excel (.xlsx). Every row is "
        "checked first; each good row is then imported in its own transaction, so a bad row never "
        "blocks the good ones (use --strict for all or nothing). Rows already imported are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV or .xlsx export of the hotline system")
        parser.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
        parser.add_argument("--strict", action="store_true", help="import nothing unless every row is good")
        parser.add_argument("--gcj02", action="store_true", help="经度/纬度 are GCJ-02 from a consumer map app")
        parser.add_argument("--report", metavar="PATH", help="write the refused rows to this CSV file")

    def handle(self, *args, **options):
        try:
            result = import_hotline(options["path"], gcj02=options["gcj02"], dry_run=options["dry_run"], strict=options["strict"])
        except HotlineFileError as error:
            raise CommandError(str(error)) from error
        prefix = "dry run: " if result.dry_run else ""
        self.stdout.write(f"{prefix}{result.summary()}")
        if result.strict and result.refused and not result.dry_run:
            self.stdout.write("--strict: nothing was imported because some rows were refused")
        elif not result.dry_run and result.refused:
            self.stdout.write("each good row was imported on its own; the refused rows below changed nothing")
        for problem in result.skipped:
            self.stdout.write(f"  row {problem.row:>5}  {problem.external_id:<20}  skipped: {problem.reason}")
        if result.refused:
            self.stdout.write(f"  {'row':>9}  {'工单编号':<20}  reason")
            for problem in result.refused:
                self.stdout.write(f"  row {problem.row:>5}  {problem.external_id:<20}  {problem.reason}")
        if options["report"]:
            write_refused_csv(result, options["report"])
            self.stdout.write(f"refused rows written to {options['report']}")
        if result.refused and (result.strict or result.dry_run):
            raise CommandError(f"{len(result.refused)} rows refused")
