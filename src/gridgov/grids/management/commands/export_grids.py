from django.core.management.base import BaseCommand, CommandError

from gridgov.grids.exporting import EXPORT_LEVELS, feature_collection, write_geojson
from gridgov.grids.models import Region


class Command(BaseCommand):
    help = "Write grid-network boundaries to a GeoJSON file (readable by import-grids)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the GeoJSON file to write")
        parser.add_argument("--level", choices=EXPORT_LEVELS, default="grid", help="which level to export (default: grid)")
        parser.add_argument("--district", help="only this district (6-digit code)")

    def handle(self, *args, path, level, district, **options):
        if district and not Region.objects.filter(code=district, level="district").exists():
            raise CommandError(f"there is no district {district}")
        collection = feature_collection(level=level, district=district)
        try:
            write_geojson(path, collection)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error}") from error
        self.stdout.write(f"wrote {len(collection['features'])} features to {path}")
