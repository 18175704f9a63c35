"""``gridgov locate LAT LNG``: the grid a point lies in, with its community and street."""

from django.core.management import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.grids.selectors import locate_point


class Command(BaseCommand):
    help = _("Print the grid containing a point (WGS84 latitude and longitude) and its community and street.")

    def add_arguments(self, parser):
        parser.add_argument("lat", type=float, help=_("latitude, e.g. 41.80"))
        parser.add_argument("lng", type=float, help=_("longitude, e.g. 123.47"))

    def handle(self, *args, lat, lng, **options):
        location = locate_point(lat, lng)
        if location is None:
            raise CommandError(
                _("The point (%(lat)s, %(lng)s) is outside the district: no grid contains it.") % {"lat": lat, "lng": lng}
            )
        rows = [
            (_("grid code"), location.grid.code),
            (_("grid"), location.grid.name),
            (_("community"), f"{location.community.code} {location.community.name}"),
            (_("street"), f"{location.street.code} {location.street.name}"),
        ]
        for label, value in rows:
            self.stdout.write(f"{label}: {value}")
