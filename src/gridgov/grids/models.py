"""The grid network: district → street → community → grid, and the people of each grid.

Boundaries are GeoJSON geometries in WGS84 / CGCS2000 longitude-latitude kept in an ordinary
text column, so SQLite needs no spatial extension; all spatial work runs in-process with shapely
(see ``spatial.py``). Area, label point and bounding box are derived from the boundary when it is
written (``services.py``) and stored so that lists and maps never parse geometry.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .codes import CodeError, Level, parent_code, validate_code


class Region(models.Model):
    """One unit of the hierarchy. The level follows from the code's length."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    boundary = models.TextField(_("boundary (GeoJSON)"), blank=True)
    area_m2 = models.FloatField(_("area (m²)"), default=0)
    label_lng = models.FloatField(_("label longitude"), null=True, blank=True)
    label_lat = models.FloatField(_("label latitude"), null=True, blank=True)
    min_lng = models.FloatField(_("westmost longitude"), null=True, blank=True)
    min_lat = models.FloatField(_("southmost latitude"), null=True, blank=True)
    max_lng = models.FloatField(_("eastmost longitude"), null=True, blank=True)
    max_lat = models.FloatField(_("northmost latitude"), null=True, blank=True)
    # Filled from the registry (一标三实) once it exists; meaningful on grids, summed above.
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    is_sample = models.BooleanField(_("sample data"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        try:
            level = validate_code(self.code)
        except CodeError as error:
            raise ValidationError({"code": str(error)}) from error
        if self.level and self.level != level:
            raise ValidationError({"level": _("a %(n)s-digit code is a %(level)s") % {"n": len(self.code), "level": level.label}})
        expected_parent = parent_code(self.code)
        if expected_parent is None and self.parent_id is not None:
            raise ValidationError({"parent": _("a district has no parent")})
        if expected_parent is not None and (self.parent is None or self.parent.code != expected_parent):
            raise ValidationError(
                {"parent": _("the parent of %(code)s must be %(parent)s") % {"code": self.code, "parent": expected_parent}}
            )

    @property
    def has_boundary(self) -> bool:
        return bool(self.boundary)

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        if self.min_lng is None or self.min_lat is None or self.max_lng is None or self.max_lat is None:
            return None
        return (self.min_lng, self.min_lat, self.max_lng, self.max_lat)


class NetworkRevision(models.Model):
    """A counter bumped by every boundary change, so each process knows when its index is stale."""

    number = models.PositiveBigIntegerField(_("revision number"), default=0)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("network revision")


class StaffRole(models.TextChoices):
    GRID_CHIEF = "grid_chief", _("Grid chief")
    GRID_WORKER = "grid_worker", _("Full-time grid worker")
    POLICE_OFFICER = "police_officer", _("Police officer")
    PARTY_SECRETARY = "party_secretary", _("Party branch secretary")
    SUPERVISOR = "supervisor", _("Supervisor")
    LEGAL_WORKER = "legal_worker", _("Legal worker")
    FIRE_OFFICER = "fire_officer", _("Fire officer")


class GridStaff(models.Model):
    grid = models.ForeignKey(
        Region,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        related_name="staff",
        limit_choices_to={"level": Level.GRID},
    )
    role = models.CharField(_("role"), max_length=32, choices=StaffRole.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["grid__code", "role", "name"]
        verbose_name = _("grid staff member")
        verbose_name_plural = _("grid staff")
        constraints = [
            models.UniqueConstraint(
                fields=["grid"],
                condition=models.Q(role="grid_chief"),
                name="one_grid_chief_per_grid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class PartyOrganization(models.Model):
    class Kind(models.TextChoices):
        BRANCH = "branch", _("Party branch")
        GROUP = "group", _("Party group")

    grid = models.OneToOneField(
        Region,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        related_name="party_organization",
        limit_choices_to={"level": Level.GRID},
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    secretary = models.CharField(_("secretary"), max_length=50, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["grid__code"]
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    grid = models.ForeignKey(
        Region,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        related_name="party_members",
        limit_choices_to={"level": Level.GRID},
    )
    name = models.CharField(_("name"), max_length=50)
    joined_year = models.PositiveSmallIntegerField(_("year joined"), null=True, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["grid__code", "name"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")

    def __str__(self) -> str:
        return self.name


class ServiceCentre(models.Model):
    """A party-mass service centre (党群服务中心) of a street or community."""

    class DemonstrationLevel(models.TextChoices):
        NONE = "none", _("Not a demonstration centre")
        DISTRICT = "district", _("District demonstration")
        MUNICIPAL = "municipal", _("Municipal demonstration")
        PROVINCIAL = "provincial", _("Provincial demonstration")

    region = models.ForeignKey(
        Region,
        verbose_name=_("street or community"),
        on_delete=models.CASCADE,
        related_name="service_centres",
        limit_choices_to={"level__in": [Level.STREET, Level.COMMUNITY]},
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    demonstration_level = models.CharField(
        _("demonstration level"),
        max_length=16,
        choices=DemonstrationLevel.choices,
        default=DemonstrationLevel.NONE,
    )
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    is_sample = models.BooleanField(_("sample data"), default=False)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("party-mass service centre")
        verbose_name_plural = _("party-mass service centres")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.region_id and self.region.level not in (Level.STREET, Level.COMMUNITY):
            raise ValidationError({"region": _("a service centre belongs to a street or a community")})
