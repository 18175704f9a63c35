"""Back-office editing of the grid network.

Boundaries are edited as GeoJSON text. A changed boundary (or code) is saved through
``services`` so the derived fields are recomputed, the network revision moves on (every process
rebuilds its point → grid index) and the change is audited.
"""

import json
from typing import Any

import shapely
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from shapely.errors import GEOSException
from shapely.geometry.base import BaseGeometry

from gridgov.admin_mixins import ReadOnlyAdminMixin

from . import services
from .codes import CodeError, Level, level_of
from .models import GridStaff, NetworkRevision, PartyMember, PartyOrganization, Region, ServiceCentre

POLYGON_TYPES = {"Polygon", "MultiPolygon"}


def parse_boundary(text: str) -> BaseGeometry | None:
    """The polygon geometry in a GeoJSON text, or a ValidationError saying what is wrong with it."""
    text = text.strip()
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            _("The boundary is not valid JSON (line %(line)s, column %(column)s: %(reason)s)."),
            params={"line": error.lineno, "column": error.colno, "reason": error.msg},
        ) from error
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in POLYGON_TYPES:
        found = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise forms.ValidationError(
            _("The boundary must be a GeoJSON Polygon or MultiPolygon geometry, not %(found)s."),
            params={"found": found or "?"},
        )
    try:
        geometry = shapely.from_geojson(json.dumps(data))
    except GEOSException as error:
        raise forms.ValidationError(_("The boundary cannot be read as GeoJSON: %(reason)s"), params={"reason": error}) from error
    if geometry.is_empty:
        raise forms.ValidationError(_("The boundary has no coordinates."))
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    if not (-180 <= min_lng and max_lng <= 180 and -90 <= min_lat and max_lat <= 90):
        raise forms.ValidationError(
            _("The boundary's coordinates are not longitude-latitude degrees (projected coordinates must be converted first).")
        )
    if not geometry.is_valid:
        raise forms.ValidationError(
            _("The boundary is not a valid polygon: %(reason)s."), params={"reason": shapely.is_valid_reason(geometry)}
        )
    return geometry


class RegionAdminForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ("code", "name", "parent", "boundary", "households", "residents", "is_sample")
        widgets = {"boundary": forms.Textarea(attrs={"rows": 8, "cols": 80, "spellcheck": "false"})}
        help_texts = {
            "boundary": _(
                "A GeoJSON Polygon or MultiPolygon in longitude-latitude (WGS84 / CGCS2000). Area, label point and bounding box are computed from it."
            ),
        }

    def clean_boundary(self) -> str:
        text = self.cleaned_data.get("boundary", "")
        self.boundary_geometry = parse_boundary(text)
        return text.strip()

    def clean(self):
        cleaned = super().clean() or {}
        try:
            # The level follows from the code; set it before the model's own checks run.
            self.instance.level = level_of(cleaned.get("code", ""))
        except CodeError:
            pass  # the model's validation reports the malformed code on the code field
        return cleaned


class GridStaffInline(admin.TabularInline):
    model = GridStaff
    extra = 0
    fields = ("role", "name", "phone", "is_sample")


class PartyOrganizationInline(admin.StackedInline):
    model = PartyOrganization
    extra = 0
    max_num = 1
    fields = ("name", "kind", "secretary", "is_sample")


class PartyMemberInline(admin.TabularInline):
    model = PartyMember
    extra = 0
    fields = ("name", "joined_year", "is_sample")


class ServiceCentreInline(admin.StackedInline):
    model = ServiceCentre
    extra = 0
    fields = ("name", "address", "demonstration_level", ("lng", "lat"), "is_sample")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = RegionAdminForm
    list_display = ("code", "name", "level", "area_km2", "parent", "households", "residents", "is_sample")
    list_filter = ("level", "is_sample")
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("level", "area_m2", "label_lng", "label_lat", "min_lng", "min_lat", "max_lng", "max_lat", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "level", "name", "parent", "is_sample")}),
        (
            _("Boundary"),
            {"fields": ("boundary", "area_m2", ("label_lng", "label_lat"), ("min_lng", "min_lat", "max_lng", "max_lat"))},
        ),
        (_("Population"), {"fields": ("households", "residents", "updated_at")}),
    )

    @admin.display(description=_("area (km²)"), ordering="area_m2")
    def area_km2(self, region: Region) -> str:
        return f"{region.area_m2 / 1e6:.4f}"

    def get_inlines(self, request, obj):
        if obj is None:
            return []
        if obj.level == Level.GRID:
            return [GridStaffInline, PartyOrganizationInline, PartyMemberInline]
        if obj.level in (Level.STREET, Level.COMMUNITY):
            return [ServiceCentreInline]
        return []

    def save_model(self, request, obj, form, change):
        if not change or {"boundary", "code"} & set(form.changed_data):
            services.set_region_boundary(obj, form.boundary_geometry, actor=request.user)
        else:
            super().save_model(request, obj, form, change)

    def get_changeform_initial_data(self, request):
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        initial.setdefault("is_sample", False)
        return initial


@admin.register(GridStaff)
class GridStaffAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "grid", "is_sample")
    list_filter = ("role", "is_sample")
    search_fields = ("name", "grid__code", "grid__name")
    list_select_related = ("grid",)
    autocomplete_fields = ("grid",)


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "secretary", "grid", "is_sample")
    list_filter = ("kind", "is_sample")
    search_fields = ("name", "secretary", "grid__code", "grid__name")
    list_select_related = ("grid",)
    autocomplete_fields = ("grid",)


@admin.register(PartyMember)
class PartyMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "joined_year", "grid", "is_sample")
    list_filter = ("is_sample",)
    search_fields = ("name", "grid__code", "grid__name")
    list_select_related = ("grid",)
    autocomplete_fields = ("grid",)


@admin.register(ServiceCentre)
class ServiceCentreAdmin(admin.ModelAdmin):
    list_display = ("name", "demonstration_level", "region", "address", "is_sample")
    list_filter = ("demonstration_level", "is_sample")
    search_fields = ("name", "address", "region__code", "region__name")
    list_select_related = ("region",)
    autocomplete_fields = ("region",)


@admin.register(NetworkRevision)
class NetworkRevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the revision moves only when boundaries change through the services."""

    list_display = ("number", "changed_at")


admin.site.site_header = _("gridgov One Net administration")
admin.site.site_title = _("gridgov administration")
admin.site.index_title = _("Back office")
