from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.grids import selectors
from gridgov.grids.codes import Level
from gridgov.grids.exporting import EXPORT_LEVELS, feature_collection, write_geojson


class Command(BaseCommand):
    help = _("Write grid-network boundaries to a GeoJSON file (readable by import-grids).")

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("the GeoJSON file to write"))
        parser.add_argument("--level", choices=EXPORT_LEVELS, default="grid", help=_("which level to export (default: grid)"))
        parser.add_argument("--district", help=_("only this district (6-digit code)"))

    def handle(self, *args, path, level, district, **options):
        if district and not selectors.regions_at_level(Level.DISTRICT).filter(code=district).exists():
            raise CommandError(_("there is no district %(code)s") % {"code": district})
        collection = feature_collection(level=level, district=district)
        try:
            write_geojson(path, collection)
        except OSError as error:
            raise CommandError(_("cannot write %(path)s: %(error)s") % {"path": path, "error": error}) from error
        self.stdout.write(_("wrote %(count)d features to %(path)s") % {"count": len(collection["features"]), "path": path})
