"""State changes of the grid network. Every function here runs in a transaction and audits."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from shapely.geometry.base import BaseGeometry

from gridgov.accounts.models import User
from gridgov.accounts.services import record_audit

from .models import NetworkRevision, Region
from .selectors import clear_grid_index_cache
from .spatial import Footprint, footprint, to_geojson


def apply_boundary(region: Region, geometry: BaseGeometry | None, area: Footprint | None = None) -> None:
    """Set a region's boundary and the fields derived from it (not saved)."""
    if geometry is None or geometry.is_empty:
        region.boundary = ""
        region.area_m2 = 0
        region.label_lng = region.label_lat = None
        region.min_lng = region.min_lat = region.max_lng = region.max_lat = None
        return
    area = area or footprint(geometry)
    region.boundary = to_geojson(geometry)
    region.area_m2 = area.area_m2
    region.label_lng, region.label_lat = area.label_lng, area.label_lat
    region.min_lng, region.min_lat, region.max_lng, region.max_lat = area.bbox


def bump_network_revision() -> int:
    """Mark every process's point → grid index stale. Call inside the changing transaction."""
    revision, _ = NetworkRevision.objects.get_or_create(pk=1)
    NetworkRevision.objects.filter(pk=1).update(number=F("number") + 1)
    revision.refresh_from_db()
    # This process sees the change at once (this transaction's reads, and every thread's after
    # the commit); other processes within REVISION_CHECK_SECONDS.
    clear_grid_index_cache()
    transaction.on_commit(clear_grid_index_cache)
    return revision.number


@transaction.atomic
def set_region_boundary(region: Region, geometry: BaseGeometry | None, *, actor: User | None = None) -> Region:
    """Change one region's boundary (back-office edit) and invalidate the lookup index."""
    apply_boundary(region, geometry)
    region.full_clean()
    region.save()
    bump_network_revision()
    record_audit(actor, "grids.boundary_changed", region, code=region.code)
    return region


def save_regions(regions: Iterable[Region]) -> None:
    """Save edited regions whose boundaries may have changed (used by admin)."""
    with transaction.atomic():
        for region in regions:
            region.save()
        bump_network_revision()
