from django.contrib import admin

from .models import GridStaff, PartyMember, PartyOrganization, Region, ServiceCentre


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "area_m2", "is_sample")
    list_filter = ("level", "is_sample")
    search_fields = ("code", "name")
