"""GeoJSON export of the grid network (a read: no state changes, nothing audited).

The output is a FeatureCollection in WGS84 / CGCS2000 longitude-latitude with the properties
``code``, ``name``, ``level``, ``parent_code`` and ``area_km2``; ``import-grids`` reads it back.
"""

import json

from .codes import Level
from .models import Region

EXPORT_LEVELS = ("all", *Level.values)


def feature_collection(*, level: str = "all", district: str | None = None) -> dict:
    regions = Region.objects.order_by("code")
    if level != "all":
        regions = regions.filter(level=level)
    if district:
        regions = regions.filter(code__startswith=district)
    rows = regions.values_list("code", "name", "level", "parent__code", "area_m2", "boundary")
    return {
        "type": "FeatureCollection",
        "features": [_feature(*row) for row in rows.iterator(chunk_size=2000)],
    }


def _feature(code, name, level, parent, area_m2, boundary) -> dict:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent,
            "area_km2": round(area_m2 / 1e6, 6),
        },
        "geometry": json.loads(boundary) if boundary else None,
    }


def write_geojson(path, collection: dict) -> None:
    with open(path, "w", encoding="utf-8") as output:
        json.dump(collection, output, ensure_ascii=False)
