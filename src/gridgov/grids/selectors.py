"""Read queries over the grid network, and the per-process point → grid index."""

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from time import monotonic

from django.db.models import Count, Max, Min, Q, QuerySet, Sum

from .codes import Level
from .models import NetworkRevision, Region, ServiceCentre
from .spatial import GridIndex, from_geojson, simplify_outlines, to_geojson


def current_revision() -> int:
    return NetworkRevision.objects.filter(pk=1).values_list("number", flat=True).first() or 0


@dataclass(frozen=True)
class GridRef:
    """A grid as the lookup knows it, without a query."""

    id: int
    code: str


REVISION_CHECK_SECONDS = 1.0


class _IndexCache:
    """One GridIndex per process (with each grid's id), rebuilt when the network revision moves on.

    The revision is read at most once every ``REVISION_CHECK_SECONDS`` (a query per located
    point was a fifth of an Open311 intake); a change made in this process clears the cache at
    once (``bump_network_revision``), one made in another is seen within that time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: int | None = None
        self._checked_at = float("-inf")
        self._current: tuple[GridIndex, dict[str, int]] | None = None  # replaced whole, read without the lock

    def get(self) -> tuple[GridIndex, dict[str, int]]:
        current = self._current
        if current is not None and monotonic() - self._checked_at < REVISION_CHECK_SECONDS:
            return current
        revision = current_revision()
        with self._lock:
            if self._current is None or revision != self._revision:
                codes, ids, boundaries = _load_grids()
                self._current = (GridIndex(codes, boundaries), dict(zip(codes, ids, strict=True)))
                self._revision = revision
            self._checked_at = monotonic()
            return self._current

    def clear(self) -> None:
        with self._lock:
            self._current = None
            self._revision = None
            self._checked_at = float("-inf")


_index_cache = _IndexCache()


def _load_grids() -> tuple[list[str], list[int], list]:
    rows = Region.objects.filter(level=Level.GRID).exclude(boundary="").values_list("code", "id", "boundary")
    codes, ids, boundaries = [], [], []
    for code, region_id, boundary in rows.iterator(chunk_size=2000):
        codes.append(code)
        ids.append(region_id)
        boundaries.append(from_geojson(boundary))
    return codes, ids, boundaries


def build_grid_index() -> GridIndex:
    codes, _, boundaries = _load_grids()
    return GridIndex(codes, boundaries)


def grid_index() -> GridIndex:
    return _index_cache.get()[0]


def clear_grid_index_cache() -> None:
    _index_cache.clear()


def locate_grid(lat: float, lng: float) -> GridRef | None:
    """The grid a point lies in, answered from the in-process index (see ``_IndexCache``)."""
    return grid_locator()(lat, lng)


def grid_locator():
    """``locate_grid`` for many points: one revision check, then no query per point."""
    index, ids = _index_cache.get()

    def locate(lat: float, lng: float) -> GridRef | None:
        code = index.locate(lng, lat)
        return None if code is None else GridRef(ids[code], code)

    return locate


@dataclass(frozen=True)
class Location:
    grid: Region
    community: Region
    street: Region
    district: Region


def locate_point(lat: float, lng: float) -> Location | None:
    """The grid a point lies in with its ancestors, or None outside every grid."""
    code = grid_index().locate(lng, lat)
    if code is None:
        return None
    grid = Region.objects.select_related("parent__parent__parent").get(code=code)
    community = grid.parent
    street = community.parent if community else None
    district = street.parent if street else None
    assert community and street and district, "a grid lies in a community, a street and a district"
    return Location(grid=grid, community=community, street=street, district=district)


def locate_points(lats, lngs) -> list[str | None]:
    """Grid codes for arrays of points (None outside the network)."""
    return grid_index().locate_many(lngs, lats)


def regions_in_scope(root: Region | None) -> QuerySet[Region]:
    """The region and everything below it (all regions for a district-wide user)."""
    if root is None:
        return Region.objects.all()
    return Region.objects.filter(code__startswith=root.code)


def regions_at_level(level: str) -> QuerySet[Region]:
    return Region.objects.filter(level=level).order_by("code")


def top_regions() -> QuerySet[Region]:
    return Region.objects.filter(parent__isnull=True).order_by("code")


def children_of(region: Region) -> QuerySet[Region]:
    return region.children.order_by("code").annotate(child_count=Count("children"))


def ancestors_of(region: Region) -> list[Region]:
    """From the district down to the region's parent."""
    chain = []
    node = region.parent
    while node is not None:
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


def search_regions(query: str, limit: int = 20) -> QuerySet[Region]:
    query = query.strip()
    if not query:
        return Region.objects.none()
    return Region.objects.filter(Q(code__startswith=query) | Q(name__icontains=query)).order_by("code")[:limit]


def grid_totals(region: Region) -> dict:
    """Households, residents and grid count at or below a region, summed in SQL."""
    grids = Region.objects.filter(level=Level.GRID, code__startswith=region.code)
    totals = grids.aggregate(grids=Count("id"), households=Sum("households"), residents=Sum("residents"))
    return {key: value or 0 for key, value in totals.items()}


def grid_detail(code: str) -> Region:
    """A grid with everything its detail page shows, in a fixed number of queries."""
    return (
        Region.objects.select_related("parent__parent__parent", "party_organization")
        .prefetch_related("staff", "party_members")
        .get(code=code, level=Level.GRID)
    )


def service_centres_for(region: Region) -> QuerySet[ServiceCentre]:
    """The centres serving a region: its own and those of its ancestors, nearest first."""
    codes = [region.code[:n] for n in (12, 9) if len(region.code) >= n]
    return ServiceCentre.objects.filter(region__code__in=codes).select_related("region").order_by("-region__code")


def region_by_code(code: str) -> Region:
    """One unit with its ancestors joined, for pages that show them; raises Region.DoesNotExist."""
    return Region.objects.select_related("parent__parent__parent").get(code=code)


def public_outlines() -> QuerySet[Region]:
    """The outlines public maps draw (the report page): every community with a boundary, or the
    top-level units of a network imported without communities."""
    communities = Region.objects.filter(level=Level.COMMUNITY).exclude(boundary="").order_by("code")
    if communities.exists():
        return communities
    return top_regions().exclude(boundary="")


# The public map draws the outlines at the district's zoom, for orientation: its grid is found
# from the pin on the server, whatever the outline shows. Detail below ~10 m is not drawn there
# and costs a phone on a slow network bytes and drawing time; staff maps keep full detail.
PUBLIC_OUTLINE_TOLERANCE = 1e-4  # degrees: about 11 m north-south and 8 m east-west at 42° N
PUBLIC_OUTLINE_DECIMALS = 5  # about 1 m
PUBLIC_OUTLINE_FORM = f"simplified:{PUBLIC_OUTLINE_TOLERANCE}:{PUBLIC_OUTLINE_DECIMALS}"  # in the ETag


def public_outline_geometries(regions: list[Region]) -> list[str]:
    """GeoJSON geometry text of each region's outline as public maps draw it (simplified
    together, so shared borders stay shared; see ``spatial.simplify_outlines``), in order."""
    shapes = [from_geojson(region.boundary) for region in regions]
    simplified = simplify_outlines(shapes, PUBLIC_OUTLINE_TOLERANCE, PUBLIC_OUTLINE_DECIMALS)
    return [to_geojson(shape, PUBLIC_OUTLINE_DECIMALS) for shape in simplified]


@dataclass(frozen=True)
class OutlinesStamp:
    """What changes whenever a set of outlines may have: for ETag / Last-Modified, without reading
    a single boundary."""

    etag: str
    last_modified: datetime | None


def outlines_stamp(regions: QuerySet[Region]) -> OutlinesStamp:
    """Network revision (bumped by every boundary change), number of regions and their latest
    change (a rename or an import moves ``updated_at``), hashed: two queries."""
    stats = regions.order_by().aggregate(count=Count("id"), latest=Max("updated_at"))
    key = f"{current_revision()}:{stats['count']}:{stats['latest'].isoformat() if stats['latest'] else '-'}"
    return OutlinesStamp(etag=hashlib.sha256(key.encode()).hexdigest()[:32], last_modified=stats["latest"])


def network_bounds() -> tuple[float, float, float, float] | None:
    """(min_lng, min_lat, max_lng, max_lat) around the top-level units, from their stored boxes."""
    box = (
        top_regions()
        .order_by()
        .aggregate(min_lng=Min("min_lng"), min_lat=Min("min_lat"), max_lng=Max("max_lng"), max_lat=Max("max_lat"))
    )
    if box["min_lng"] is None:
        return None
    return (box["min_lng"], box["min_lat"], box["max_lng"], box["max_lat"])


def inner_point() -> tuple[float, float] | None:
    """(lat, lng) of a point surely inside the network: the representative point of the first
    top-level unit's boundary (a centroid can fall outside a concave district)."""
    region = top_regions().exclude(boundary="").order_by("code").first()
    if region is None:
        return None
    point = from_geojson(region.boundary).representative_point()
    return point.y, point.x
