"""Plain-data views of regions shared by the JSON API and the HTML pages."""

from gridgov.masking import mask_phone

from . import selectors
from .models import Region


def region_payload(region: Region) -> dict:
    return {
        **region_summary(region),
        "parent_code": region.parent.code if region.parent else None,
        "ancestors": [region_summary(r) for r in selectors.ancestors_of(region)],
        "children": [region_summary(r) for r in selectors.children_of(region)],
        "totals": selectors.grid_totals(region),
    }


def grid_payload(grid: Region) -> dict:
    organization = getattr(grid, "party_organization", None)
    return {
        **region_payload(grid),
        "staff": [
            {"role": s.role, "role_label": str(s.get_role_display()), "name": s.name, "phone_masked": mask_phone(s.phone)}
            for s in grid.staff.all()
        ],
        "party_organization": None
        if organization is None
        else {
            "name": organization.name,
            "kind": organization.kind,
            "kind_label": str(organization.get_kind_display()),
            "secretary": organization.secretary,
            "member_count": len(grid.party_members.all()),
        },
        "service_centres": [
            {
                "name": c.name,
                "region_code": c.region.code,
                "address": c.address,
                "demonstration_level": c.demonstration_level,
                "demonstration_level_label": str(c.get_demonstration_level_display()),
                "location": None if c.lng is None else (c.lng, c.lat),
            }
            for c in selectors.service_centres_for(grid)
        ],
    }


def region_summary(region: Region) -> dict:
    return {
        "code": region.code,
        "level": region.level,
        "name": region.name,
        "area_km2": round(region.area_m2 / 1e6, 4),
        "label": None if region.label_lng is None else (region.label_lng, region.label_lat),
        "bbox": region.bbox,
        "is_sample": region.is_sample,
    }
