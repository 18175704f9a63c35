"""HTML pages of the grid network: the map and one page per unit.

Views only read through ``selectors`` / ``presenters``; the map page fetches everything else
from the JSON API (``/api/v1/``) in the browser.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import selectors
from .codes import CodeError, Level, validate_code
from .models import Region
from .presenters import grid_payload, region_payload

# Stands in for a code in URL templates handed to the browser.
CODE_PLACEHOLDER = "000000000000000"


@login_required
def map_page(request):
    top_regions = list(selectors.top_regions())
    return render(
        request,
        "grids/map.html",
        {
            "is_sample": any(region.is_sample for region in top_regions),
            "has_regions": bool(top_regions),
            "map_config": {**_map_config(), "homeCode": _home_code(request.user)},
        },
    )


@login_required
def region_detail(request, code):
    try:
        level = validate_code(code)
    except CodeError as error:
        return render(request, "grids/bad_code.html", {"code": code, "reason": str(error)}, status=400)
    try:
        region = selectors.grid_detail(code) if level == Level.GRID else selectors.region_by_code(code)
    except Region.DoesNotExist:
        return render(request, "grids/not_found.html", {"code": code}, status=404)
    if level == Level.GRID:
        return _grid_page(request, region)
    return render(
        request,
        "grids/region_detail.html",
        {
            "region": region,
            "unit": _with_level_labels(region_payload(region)),
            "is_sample": region.is_sample,
            "unit_map": _unit_map(region, with_children=True),
        },
    )


def _grid_page(request, grid: Region):
    return render(
        request,
        "grids/grid_detail.html",
        {
            "region": grid,
            "unit": _with_level_labels(grid_payload(grid)),
            "party_members": list(grid.party_members.all()),
            "is_sample": grid.is_sample,
            "unit_map": _unit_map(grid, with_children=False),
        },
    )


def _with_level_labels(unit: dict) -> dict:
    """Name the level of each ancestor and child in the active language."""
    for related in (*unit["ancestors"], *unit["children"]):
        related["level_label"] = Level(related["level"]).label
    return unit


def _unit_map(region: Region, *, with_children: bool) -> dict:
    """What the small map on a unit's page draws: its boundary, and its children if asked."""
    return {
        "boundary": region.boundary or None,
        "childrenUrl": reverse("api:api-root") + f"v1/regions/{region.code}/children.geojson" if with_children else None,
        "detailUrl": reverse("grids:detail", args=[CODE_PLACEHOLDER]),
        "codePlaceholder": CODE_PLACEHOLDER,
        "tileUrl": settings.GRIDGOV_TILE_URL,
        "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION,
    }


def _home_code(user) -> str | None:
    """The unit the map opens on: the user's own, or for grid staff the community around it."""
    region = user.region
    if region is None:
        return None
    return region.parent.code if region.level == Level.GRID else region.code


def _map_config() -> dict:
    """Everything map scripts need from the server: URLs, optional tiles, translated words."""
    return {
        "apiBase": reverse("api:api-root") + "v1/",
        "detailUrl": reverse("grids:detail", args=[CODE_PLACEHOLDER]),
        "mapUrl": reverse("grids:map"),
        "codePlaceholder": CODE_PLACEHOLDER,
        "tileUrl": settings.GRIDGOV_TILE_URL,
        "tileAttribution": settings.GRIDGOV_TILE_ATTRIBUTION,
        "levels": {str(value): str(label) for value, label in Level.choices},
        "text": {
            "all": _("Whole network"),
            "loading": _("Loading…"),
            "noResults": _("Nothing found"),
            "loadFailed": _("Could not load the map data. Reload the page to try again."),
            "openDetail": _("Open the grid page"),
            "openUnit": _("Open the page of this unit"),
            "children": _("Units below"),
            # Whole phrases with placeholders: word order and punctuation differ between languages.
            "gridCount": {
                "one": ngettext("%(count)s grid", "%(count)s grids", 1),
                "other": ngettext("%(count)s grid", "%(count)s grids", 2),
            },
            "km2": _("km²"),
            "areaIs": _("Area: %(area)s"),
            "empty": _("No units below this one."),
        },
    }
