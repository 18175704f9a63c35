from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.grids.importing import ImportRefused, SourceError, import_features, read_features

PROGRESS_FROM = 200  # features; smaller imports finish before a bar would help


class Command(BaseCommand):
    help = _(
        "Import grid-network boundaries from GeoJSON, a zipped Shapefile (.zip) or a GeoPackage. "
        "Everything is validated first; a refused import changes nothing and lists every problem."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("GeoJSON, zipped Shapefile or GeoPackage"))
        parser.add_argument("--crs", help=_("source CRS, overriding the file's (e.g. EPSG:4550)"))
        parser.add_argument("--gcj02", action="store_true", help=_("coordinates are GCJ-02 from a consumer map app"))
        parser.add_argument("--code-field", default="code", help=_("attribute holding the 6-15 digit code"))
        parser.add_argument("--name-field", default="name", help=_("attribute holding the name"))
        parser.add_argument(
            "--parent-field", help=_("attribute holding the parent code (default: parent_code or parent if present)")
        )
        parser.add_argument("--layer", help=_("layer name (GeoPackage with several layers)"))
        parser.add_argument(
            "--overlap-tolerance",
            type=float,
            default=1.0,
            metavar="M2",
            help=_("largest overlap or outside area accepted, m² (default 1)"),
        )
        parser.add_argument(
            "--hole-tolerance", type=float, default=1.0, metavar="M2", help=_("largest uncovered area accepted, m² (default 1)")
        )
        parser.add_argument(
            "--create-parents", action="store_true", help=_("create missing streets/communities named after their codes")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("validate only, write nothing"))
        parser.add_argument("--no-progress", action="store_true", help=_("no progress bar"))

    def handle(self, *args, **options):
        try:
            records = read_features(
                options["path"],
                crs=options["crs"],
                gcj02=options["gcj02"],
                code_field=options["code_field"],
                name_field=options["name_field"],
                parent_field=options["parent_field"],
                layer=options["layer"],
            )
        except SourceError as error:
            raise CommandError(str(error)) from error
        try:
            report = import_features(
                records,
                overlap_tolerance_m2=options["overlap_tolerance"],
                hole_tolerance_m2=options["hole_tolerance"],
                progress=not options["no_progress"] and len(records) >= PROGRESS_FROM,
                dry_run=options["dry_run"],
                create_missing_parents=options["create_parents"],
            )
        except ImportRefused as refused:
            raise CommandError(refused.report()) from refused
        if report.dry_run:
            message = _("dry run: %(count)d features read; %(summary)s")
        else:
            message = _("%(count)d features read; %(summary)s")
        self.stdout.write(message % {"count": len(records), "summary": report.summary()})
