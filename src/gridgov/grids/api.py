"""JSON API of the grid network (mounted at /api/v1/)."""

import hashlib
import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from gridgov.caching import KeyedCache

from . import selectors
from .codes import CodeError, Level, validate_code
from .models import Region
from .presenters import grid_payload, region_payload, region_summary
from .schemas import ErrorOut, GridOut, LocationOut, RegionOut, RegionSummary

router = Router(tags=["grids"])


def _region_or_404(code: str) -> Region:
    try:
        validate_code(code)
    except CodeError as error:
        raise HttpError(400, str(error)) from error
    return get_object_or_404(Region.objects.select_related("parent"), code=code)


@router.get("/regions", response=list[RegionSummary], summary="Top-level units (districts)")
def list_top_regions(request: HttpRequest):
    return [region_summary(r) for r in selectors.top_regions()]


@router.get("/regions/{code}", response={200: RegionOut, 400: ErrorOut, 404: ErrorOut}, summary="One unit with its children")
def get_region(request: HttpRequest, code: str):
    return region_payload(_region_or_404(code))


@router.get(
    "/regions/{code}/children.geojson",
    summary="The children's boundaries as a GeoJSON FeatureCollection",
    response={200: dict, 400: ErrorOut, 404: ErrorOut},
)
def children_geojson(request: HttpRequest, code: str):
    region = _region_or_404(code)
    return _feature_collection(selectors.children_of(region))


@router.get(
    "/regions/{code}/boundary.geojson",
    summary="The unit's own boundary as a GeoJSON Feature",
    response={200: dict, 400: ErrorOut, 404: ErrorOut},
)
def boundary_geojson(request: HttpRequest, code: str):
    return _feature_collection([_region_or_404(code)])


@router.get(
    "/grids/{code}",
    response={200: GridOut, 400: ErrorOut, 404: ErrorOut},
    summary="A grid with its staff, party organisation and service centres",
)
def get_grid(request: HttpRequest, code: str):
    region = _region_or_404(code)
    if region.level != Level.GRID:
        raise HttpError(400, f"{code} is a {region.level}, not a grid")
    return grid_payload(selectors.grid_detail(code))


class LocateQuery(Schema):
    lat: float
    lng: float


@router.get("/locate", response={200: LocationOut, 400: ErrorOut, 404: ErrorOut}, summary="The grid a point lies in")
def locate(request: HttpRequest, point: Query[LocateQuery]):
    if not (-90 <= point.lat <= 90 and -180 <= point.lng <= 180):
        raise HttpError(400, f"lat {point.lat}, lng {point.lng} is not a longitude-latitude point")
    location = selectors.locate_point(point.lat, point.lng)
    if location is None:
        raise HttpError(404, f"point lat {point.lat}, lng {point.lng} is outside every grid of the network")
    units = {level: region_summary(getattr(location, level)) for level in ("grid", "community", "street", "district")}
    return {"lat": point.lat, "lng": point.lng, **units}


@router.get("/search", response=list[RegionSummary], summary="Units whose code starts with q or whose name contains q")
def search(request: HttpRequest, q: str = "", limit: int = 20):
    return [region_summary(r) for r in selectors.search_regions(q, limit=max(1, min(limit, 100)))]


def _feature_collection(regions, geometries: list[str] | None = None) -> HttpResponse:
    return HttpResponse(_feature_collection_text(regions, geometries), content_type="application/geo+json")


def _feature_collection_text(regions, geometries: list[str] | None = None) -> str:
    """Boundaries are stored as GeoJSON text; splice them in rather than parse and re-dump
    (``geometries``: other GeoJSON text to use instead, one per region)."""
    features = []
    for n, region in enumerate(regions):
        properties = json.dumps(
            {"code": region.code, "name": region.name, "level": region.level, "area_km2": round(region.area_m2 / 1e6, 4)},
            ensure_ascii=False,
        )
        geometry = (geometries[n] if geometries is not None else region.boundary) or "null"
        features.append(f'{{"type":"Feature","id":"{region.code}","properties":{properties},"geometry":{geometry}}}')
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


# The public outlines' body under its ETag: simplifying them costs tens of milliseconds, once per
# process for each state of the network (a change of any outline or name makes a new ETag).
_public_outlines: KeyedCache[str] = KeyedCache(max_entries=4)


def _public_outlines_text(regions) -> str:
    regions = list(regions)
    return _feature_collection_text(regions, selectors.public_outline_geometries(regions))


@router.get(
    "/outlines.geojson",
    auth=None,
    summary="Every community's outline (the districts' if there are no communities), for public maps",
    description="Public and cacheable: answers with an ETag and Last-Modified, and `304 Not Modified` "
    "to a matching If-None-Match / If-Modified-Since, so browsers revalidate instead of downloading again. "
    "The outlines are simplified for drawing at the district's zoom (shared borders stay shared; detail "
    "below about 10 m dropped, coordinates to 5 decimals); `regions/{code}/boundary.geojson` has full detail.",
    response={200: dict, 304: None},
)
def public_outlines_geojson(request: HttpRequest):
    regions = selectors.public_outlines()
    stamp = selectors.outlines_stamp(regions)
    etag = quote_etag(f"{stamp.etag}-{hashlib.sha256(selectors.PUBLIC_OUTLINE_FORM.encode()).hexdigest()[:8]}")
    last_modified = int(stamp.last_modified.timestamp()) if stamp.last_modified else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        body = _public_outlines.get(etag, lambda: _public_outlines_text(regions))
        response = HttpResponse(body, content_type="application/geo+json")
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, public=True, no_cache=True)
    return response
