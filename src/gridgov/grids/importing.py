"""Import of grid-network boundaries: validate everything first, then write in one transaction.

Validation looks at the network as it will be after the import: the units already stored for
the districts the file touches, overlaid by the file's units (the file wins for the same code).
Every problem is collected and the whole import is refused with one report naming the codes
involved; nothing is written then. An accepted import upserts by code (it never deletes), derives
the boundary of every touched ancestor that the file does not give one as the union of its
children, and bumps the network revision once.

A parent must be in the file or already in the database; with ``create_missing_parents`` it is
created instead, named after its code, with a boundary derived from its children.
"""

import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyogrio.raw
import pyproj
import shapely
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from gridgov.accounts.services import record_audit
from gridgov.bulk import update_rows

from .codes import LEVEL_ORDER, CodeError, Level, parent_code, validate_code
from .gcj02 import gcj02_to_wgs84_xy
from .models import Region
from .services import apply_boundary, bump_network_revision
from .spatial import WGS84, footprints, local_equal_area_crs, polygonal_parts, to_metres

POLYGONAL_TYPES = ("Polygon", "MultiPolygon")
EXTRA_INTEGER_FIELDS = ("households", "residents")
DERIVED_PRECISION_DEG = 1e-7  # unions snap to the precision boundaries are stored at (about 1 cm)
CLOSING_DEG = 5e-6  # gaps narrower than about 1 m do not open a hole to the outside
BORDER_DISTANCE_DEG = 1e-6  # a grid within this distance (about 0.1 m) of a hole borders it

# Kinds of problem, in the order the report lists them.
EMPTY_FILE = "empty file"
MALFORMED_CODE = "malformed code"
DUPLICATE_CODE = "duplicate code"
PARENT_MISMATCH = "parent does not match code"
MISSING_PARENT = "missing parent"
MISSING_NAME = "missing name"
BAD_ATTRIBUTE = "bad attribute"
MISSING_GEOMETRY = "missing geometry"
NOT_POLYGON = "not a polygon"
INVALID_POLYGON = "invalid polygon"
NOT_LNG_LAT = "not longitude-latitude"
OUTSIDE_PARENT = "outside parent"
OVERLAP = "overlap"
HOLE = "hole in district"
KIND_ORDER = [
    EMPTY_FILE, MALFORMED_CODE, DUPLICATE_CODE, PARENT_MISMATCH, MISSING_PARENT, MISSING_NAME,
    BAD_ATTRIBUTE, MISSING_GEOMETRY, NOT_POLYGON, INVALID_POLYGON, NOT_LNG_LAT, OUTSIDE_PARENT,
    OVERLAP, HOLE,
]  # fmt: skip


@dataclass(frozen=True)
class FeatureRecord:
    """One unit to import. ``geometry`` is lng-lat (WGS84 / CGCS2000); None derives it from children."""

    code: str  # 6/9/12/15 digits; the level follows from the length
    name: str
    geometry: BaseGeometry | None
    parent_code: str | None = None  # optional; must equal the code's prefix when given
    extra: dict = field(default_factory=dict)  # households, residents, is_sample; other keys ignored


@dataclass(frozen=True)
class Problem:
    kind: str
    codes: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class ImportRefused(Exception):
    """The import was refused; ``problems`` lists every reason, ``str()`` is the full report."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = sorted(problems, key=lambda p: (KIND_ORDER.index(p.kind), p.codes))
        super().__init__(self.report())

    def report(self) -> str:
        lines = [_("Import refused with %(count)d problem(s); nothing was written.") % {"count": len(self.problems)}]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


@dataclass(frozen=True)
class ImportReport:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    derived: tuple[str, ...]  # codes whose boundary was derived from their children
    revision: int | None  # network revision after the import; None for a dry run
    dry_run: bool = False

    def summary(self) -> str:
        if self.dry_run:
            message = _("would create %(created)d, would update %(updated)d, would derive %(derived)d boundaries from children")
        else:
            message = _("created %(created)d, updated %(updated)d, derived %(derived)d boundaries from children")
        return message % {"created": len(self.created), "updated": len(self.updated), "derived": len(self.derived)}


@dataclass
class _Unit:
    """One unit of the merged network (database overlaid by the file)."""

    code: str
    level: Level
    name: str
    shape: BaseGeometry | None  # the boundary the checks use: the file's, else the stored one
    in_file: bool = False
    derive: bool = False  # its boundary is recomputed from its children by this import
    db_id: int | None = None
    db_shape: BaseGeometry | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class _Plan:
    units: dict[str, _Unit]
    boundaries: dict[str, BaseGeometry | None]  # final boundary of every unit to write
    districts: list[str]

    @property
    def to_write(self) -> list[_Unit]:
        order = {level: i for i, level in enumerate(LEVEL_ORDER)}
        written = [unit for unit in self.units.values() if unit.in_file or unit.derive]
        return sorted(written, key=lambda unit: (order[unit.level], unit.code))


def import_features(
    records: Sequence[FeatureRecord],
    *,
    actor=None,
    overlap_tolerance_m2: float = 1.0,
    hole_tolerance_m2: float = 1.0,
    progress: bool = False,
    dry_run: bool = False,
    create_missing_parents: bool = False,
) -> ImportReport:
    """Validate ``records`` against the merged network and write them, or raise ImportRefused."""
    with transaction.atomic():
        plan = validate_features(
            records,
            overlap_tolerance_m2=overlap_tolerance_m2,
            hole_tolerance_m2=hole_tolerance_m2,
            create_missing_parents=create_missing_parents,
            progress=progress,
        )
        if dry_run:
            created, updated = _split_created_updated(plan)
            derived = tuple(unit.code for unit in plan.to_write if unit.derive)
            return ImportReport(created, updated, derived, None, dry_run=True)
        return _write(plan, actor=actor, progress=progress)


def validate_features(
    records: Sequence[FeatureRecord],
    *,
    overlap_tolerance_m2: float = 1.0,
    hole_tolerance_m2: float = 1.0,
    create_missing_parents: bool = False,
    progress: bool = False,
) -> _Plan:
    """Check everything; return the write plan or raise ImportRefused listing every problem."""
    if not records:
        raise ImportRefused([Problem(EMPTY_FILE, (), "there is nothing to import")])
    with tqdm(total=5, desc="validating", unit="step", file=sys.stderr, disable=not progress) as bar:
        problems, usable, shapes = _check_records(records)
        bar.update()
        districts = sorted({code[:6] for code in usable})
        units = _database_units(districts)
        bar.update()
        missing = _missing_parents(usable, units)
        if create_missing_parents:
            for code in missing:
                units[code] = _Unit(code, validate_code(code), _generated_name(code), None, derive=True)
        else:
            problems += _missing_parent_problems(missing)
        _overlay_file(units, usable, shapes)
        bar.update()
        problems += _spatial_problems(units, districts, overlap_tolerance_m2, hole_tolerance_m2)
        bar.update()
        if problems:
            raise ImportRefused(problems)
        plan = _Plan(units, _final_boundaries(units), districts)
        bar.update()
    return plan


# --- record checks -------------------------------------------------------------------------


def _check_records(records: Sequence[FeatureRecord]):
    """Checks that need only the file. Returns problems, the usable records and their shapes."""
    problems: list[Problem] = []
    counts = Counter(record.code for record in records)
    for code, count in counts.items():
        if count > 1:
            problems.append(Problem(DUPLICATE_CODE, (str(code),), f"{code} appears {count} times in the file"))
    usable: dict[str, FeatureRecord] = {}
    shapes: dict[str, BaseGeometry] = {}
    for record in records:
        try:
            level = validate_code(record.code)
        except CodeError as error:
            problems.append(Problem(MALFORMED_CODE, (str(record.code),), str(error)))
            continue
        if counts[record.code] > 1:
            continue
        problems += _record_problems(record, level)
        shape, geometry_problem = _checked_shape(record.code, level, record.geometry)
        if geometry_problem is not None:
            problems.append(geometry_problem)
        if shape is not None:
            shapes[record.code] = shape
        usable[record.code] = record
    return problems, usable, shapes


def _record_problems(record: FeatureRecord, level: Level) -> list[Problem]:
    problems = []
    code, expected = record.code, parent_code(record.code)
    if record.parent_code not in (None, "") and record.parent_code != expected:
        if expected is None:
            message = f"{code} is a district and has no parent, but the file names {record.parent_code}"
        else:
            message = f"{code} names parent {record.parent_code}, but its code makes its parent {expected}"
        problems.append(Problem(PARENT_MISMATCH, (code, str(record.parent_code)), message))
    if not str(record.name or "").strip():
        problems.append(Problem(MISSING_NAME, (code,), f"{code} has no name"))
    for key in EXTRA_INTEGER_FIELDS:
        value = record.extra.get(key)
        if value is not None and _non_negative_int(value) is None:
            problems.append(Problem(BAD_ATTRIBUTE, (code,), f"{code} has {key} {value!r}; expected a whole number ≥ 0"))
    return problems


def _checked_shape(code: str, level: Level, geometry: BaseGeometry | None) -> tuple[BaseGeometry | None, Problem | None]:
    """The geometry the spatial checks use (repaired if invalid, so one bad ring does not cascade)."""
    if geometry is None or geometry.is_empty:
        if level == Level.GRID:
            return None, Problem(MISSING_GEOMETRY, (code,), f"grid {code} has no boundary")
        return None, None
    if geometry.geom_type not in POLYGONAL_TYPES:
        return None, Problem(
            NOT_POLYGON, (code,), f"{code} has a {geometry.geom_type}; only Polygon and MultiPolygon are accepted"
        )
    geometry = shapely.force_2d(geometry)
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        message = f"{code} has coordinates outside longitude-latitude range ({minx:.1f}, {miny:.1f}, {maxx:.1f}, {maxy:.1f}); is the CRS right?"
        return None, Problem(NOT_LNG_LAT, (code,), message)
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        repaired = polygonal_parts(shapely.make_valid(geometry))
        return (None if repaired.is_empty else repaired), Problem(INVALID_POLYGON, (code,), f"{code}: {reason}")
    return geometry, None


def _non_negative_int(value) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not number.is_integer() or number < 0:
        return None
    return int(number)


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y", "t")
    return bool(value)


# --- the merged network ----------------------------------------------------------------------


def _database_units(districts: Sequence[str]) -> dict[str, _Unit]:
    if not districts:
        return {}
    prefix = Q()
    for district in districts:
        prefix |= Q(code__startswith=district)
    rows = list(Region.objects.filter(prefix).values_list("id", "code", "name", "boundary"))
    texts = [boundary for *_, boundary in rows if boundary]
    parsed: Iterator[Any] = iter(shapely.from_geojson(np.asarray(texts, dtype=object)) if texts else [])
    units = {}
    for region_id, code, name, boundary in rows:
        shape = next(parsed) if boundary else None
        units[code] = _Unit(code, validate_code(code), name, shape, db_id=region_id, db_shape=shape)
    return units


def _ancestors(code: str) -> list[str]:
    result: list[str] = []
    parent = parent_code(code)
    while parent is not None:
        result.append(parent)
        parent = parent_code(parent)
    return result


def _missing_parents(usable: dict[str, FeatureRecord], units: dict[str, _Unit]) -> dict[str, set[str]]:
    """Missing ancestor code → the codes one level below it that need it."""
    missing: dict[str, set[str]] = defaultdict(set)
    for code in usable:
        child = code
        for ancestor in _ancestors(code):
            if ancestor not in usable and ancestor not in units:
                missing[ancestor].add(child)
            child = ancestor
    return missing


def _missing_parent_problems(missing: dict[str, set[str]]) -> list[Problem]:
    problems = []
    for code, children in sorted(missing.items()):
        needed_by = ", ".join(sorted(children))
        message = f"{code} is neither in the file nor in the database; needed by {needed_by}"
        problems.append(Problem(MISSING_PARENT, (code, *sorted(children)), message))
    return problems


def _generated_name(code: str) -> str:
    return f"{validate_code(code).label} {code}"


def _overlay_file(units: dict[str, _Unit], usable: dict[str, FeatureRecord], shapes: dict[str, BaseGeometry]) -> None:
    """Put the file's units over the stored ones and mark which boundaries get derived."""
    for code, record in usable.items():
        stored = units.get(code)
        units[code] = _Unit(
            code,
            validate_code(code),
            str(record.name).strip(),
            shapes.get(code),
            in_file=True,
            derive=record.geometry is None or record.geometry.is_empty,
            db_id=stored.db_id if stored else None,
            db_shape=stored.db_shape if stored else None,
            extra=record.extra,
        )
    for code in usable:
        for ancestor in _ancestors(code):
            unit = units.get(ancestor)
            if unit is not None and not (unit.in_file and not unit.derive):
                unit.derive = True


# --- spatial checks --------------------------------------------------------------------------


class _Metric:
    """Areas in m² of lng-lat pieces, all measured in one local equal-area CRS.

    Overlaps, outside parts and holes are computed in lng-lat, where neighbouring grids share
    their vertices exactly; projecting first would bend shared edges apart (a parallel is not a
    straight line in the projection) and invent slivers. Only the resulting pieces are projected.
    """

    def __init__(self, units: dict[str, _Unit]):
        shapes = [unit.shape for unit in units.values() if unit.shape is not None]
        self.crs = local_equal_area_crs(shapes) if shapes else None

    def areas(self, pieces) -> np.ndarray:
        pieces = np.asarray(pieces, dtype=object)
        if len(pieces) == 0 or self.crs is None:
            return np.zeros(len(pieces))
        return shapely.area(to_metres(pieces, self.crs))


def _where(piece: BaseGeometry) -> str:
    point = piece.representative_point()
    return f"around lng {point.x:.6f} lat {point.y:.6f}"


def _spatial_problems(units: dict[str, _Unit], districts: Sequence[str], overlap_tol: float, hole_tol: float) -> list[Problem]:
    metric = _Metric(units)
    problems = _outside_parent_problems(units, metric, overlap_tol)
    grids = [code for code, unit in units.items() if unit.level == Level.GRID and unit.shape is not None]
    problems += _overlap_problems(units, grids, metric, overlap_tol)
    touched = {code[:6] for code, unit in units.items() if unit.in_file}
    for district in districts:
        if district in touched:
            district_grids = [code for code in grids if code.startswith(district)]
            problems += _hole_problems(units, district, district_grids, metric, hole_tol)
    return problems


def _reference_shape(unit: _Unit | None) -> BaseGeometry | None:
    """The boundary children are checked against: the file's, or the stored one if not in the file."""
    if unit is None:
        return None
    if unit.in_file:
        return None if unit.derive else unit.shape
    return unit.shape


def _nearest_bounding_ancestor(units: dict[str, _Unit], code: str) -> str | None:
    for ancestor in _ancestors(code):
        if _reference_shape(units.get(ancestor)) is not None:
            return ancestor
    return None


def _outside_parent_problems(units: dict[str, _Unit], metric: _Metric, tolerance: float) -> list[Problem]:
    pairs = []
    for code, unit in units.items():
        if unit.shape is None:
            continue
        ancestor = _nearest_bounding_ancestor(units, code)
        if ancestor is not None and (unit.in_file or units[ancestor].in_file):
            pairs.append((code, ancestor))
    if not pairs:
        return []
    children = np.asarray([units[child].shape for child, _ in pairs], dtype=object)
    parents = np.asarray([_reference_shape(units[parent]) for _, parent in pairs], dtype=object)
    outside = shapely.difference(children, parents)
    problems = []
    for (child, parent), piece, area in zip(pairs, outside, metric.areas(outside), strict=True):
        if area > tolerance:
            parent_level = str(units[parent].level.label).lower()
            message = f"{child} lies {area:,.1f} m² outside its {parent_level} {parent} ({_where(piece)})"
            problems.append(Problem(OUTSIDE_PARENT, (child, parent), message))
    return problems


def _overlap_problems(units: dict[str, _Unit], grids: Sequence[str], metric: _Metric, tolerance: float) -> list[Problem]:
    if len(grids) < 2:
        return []
    shapes = np.asarray([units[code].shape for code in grids], dtype=object)
    in_file = np.asarray([units[code].in_file for code in grids])
    left, right = shapely.STRtree(shapes).query(shapes, predicate="intersects")
    keep = (left < right) & (in_file[left] | in_file[right])
    left, right = left[keep], right[keep]
    overlaps = shapely.intersection(shapes[left], shapes[right])
    problems = []
    for i, j, overlap, area in zip(left, right, overlaps, metric.areas(overlaps), strict=True):
        if area > tolerance:
            message = f"{grids[i]} and {grids[j]} overlap by {area:,.1f} m² ({_where(overlap)})"
            problems.append(Problem(OVERLAP, (grids[i], grids[j]), message))
    return problems


def _hole_problems(units, district: str, grids: Sequence[str], metric: _Metric, tolerance: float) -> list[Problem]:
    """Area inside the district's boundary, or enclosed by its grids, that no grid covers."""
    if not grids:
        return []
    shapes = np.asarray([units[code].shape for code in grids], dtype=object)
    coverage = shapely.union_all(shapes)
    # Close hairline gaps first: a hole that leaks to the outside through a crack between two
    # grids (float noise, digitising slips) is still a hole in the district.
    closed = coverage.buffer(CLOSING_DEG, join_style="mitre").buffer(-CLOSING_DEG, join_style="mitre")
    outline: list[BaseGeometry] = [shapely.Polygon(polygon.exterior) for polygon in shapely.get_parts(polygonal_parts(closed))]
    boundary = _reference_shape(units.get(district))
    if boundary is not None:
        outline.append(boundary)
    holes = shapely.get_parts(polygonal_parts(shapely.difference(shapely.union_all(outline), coverage)))
    tree = shapely.STRtree(shapes)
    problems = []
    for hole, area in zip(holes, metric.areas(holes), strict=True):
        if area <= tolerance:
            continue
        bordering = sorted(grids[i] for i in tree.query(hole, predicate="dwithin", distance=BORDER_DISTANCE_DEG))
        message = (
            f"{area:,.1f} m² of district {district} {_where(hole)} is covered by no grid; "
            f"bordering grids: {', '.join(bordering) or 'none'}"
        )
        problems.append(Problem(HOLE, (district, *bordering), message))
    return problems


# --- writing ---------------------------------------------------------------------------------


def _final_boundaries(units: dict[str, _Unit]) -> dict[str, BaseGeometry | None]:
    """The boundary each written unit ends with; derived ones bottom-up from their children."""
    children: dict[str, list[str]] = defaultdict(list)
    for code in units:
        parent = parent_code(code)
        if parent is not None:
            children[parent].append(code)
    final = {code: unit.shape for code, unit in units.items() if not unit.derive}
    for level in reversed(LEVEL_ORDER[:-1]):
        for code, unit in units.items():
            if unit.level != level or not unit.derive:
                continue
            parts = [final[child] for child in children[code] if final.get(child) is not None]
            if parts:
                final[code] = shapely.union_all(parts, grid_size=DERIVED_PRECISION_DEG)
            else:
                final[code] = unit.db_shape
    return {code: final.get(code) for code, unit in units.items() if unit.in_file or unit.derive}


def _split_created_updated(plan: _Plan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    created = tuple(unit.code for unit in plan.to_write if unit.db_id is None)
    updated = tuple(unit.code for unit in plan.to_write if unit.db_id is not None)
    return created, updated


UPDATED_FIELDS = [
    "name", "boundary", "area_m2", "label_lng", "label_lat", "min_lng", "min_lat", "max_lng",
    "max_lat", "households", "residents", "is_sample", "updated_at",
]  # fmt: skip


def _write(plan: _Plan, *, actor, progress: bool) -> ImportReport:
    units = plan.to_write
    with tqdm(total=len(units), desc="writing", unit="unit", file=sys.stderr, disable=not progress) as bar:
        geometries = [plan.boundaries[unit.code] for unit in units]
        drawn = [(i, geometry) for i, geometry in enumerate(geometries) if geometry is not None and not geometry.is_empty]
        shapes = footprints([geometry for _i, geometry in drawn])
        footprint_of = dict(zip([i for i, _geometry in drawn], shapes, strict=True))
        existing = Region.objects.in_bulk([unit.db_id for unit in units if unit.db_id is not None])
        now = timezone.now()
        to_create: dict[Level, list[Region]] = defaultdict(list)
        to_update: list[Region] = []
        for i, unit in enumerate(units):
            region = existing[unit.db_id] if unit.db_id is not None else Region(code=unit.code, level=unit.level)
            _fill(region, unit, geometries[i], footprint_of.get(i), now)
            (to_update if unit.db_id is not None else to_create[unit.level]).append(region)
            bar.update()
        _create_top_down(to_create)
        _update_rows(to_update)
        revision = bump_network_revision()
        created, updated = _split_created_updated(plan)
        derived = tuple(unit.code for unit in units if unit.derive)
        record_audit(
            actor,
            "grids.imported",
            None,
            created=len(created),
            updated=len(updated),
            derived=len(derived),
            districts=plan.districts,
            revision=revision,
        )
    return ImportReport(created, updated, derived, revision)


def _fill(region: Region, unit: _Unit, geometry, area, now) -> None:
    if unit.in_file:
        region.name = unit.name
        for key in EXTRA_INTEGER_FIELDS:
            if unit.extra.get(key) is not None:
                setattr(region, key, _non_negative_int(unit.extra[key]))
        if unit.extra.get("is_sample") is not None:
            region.is_sample = _truthy(unit.extra["is_sample"])
    elif not region.name:
        region.name = unit.name
    apply_boundary(region, geometry, area)
    region.updated_at = now


def _update_rows(regions: list[Region]) -> None:
    update_rows(Region, UPDATED_FIELDS, [[getattr(region, name) for name in UPDATED_FIELDS] + [region.pk] for region in regions])


def _create_top_down(to_create: dict[Level, list[Region]]) -> None:
    """Create new units level by level so each finds its parent's id."""
    for level in LEVEL_ORDER:
        regions = to_create.get(level, [])
        if not regions:
            continue
        parent_codes = {parent_code(region.code) for region in regions} - {None}
        parent_ids = dict(Region.objects.filter(code__in=parent_codes).values_list("code", "id"))
        for region in regions:
            parent = parent_code(region.code)
            region.parent_id = parent_ids[parent] if parent else None
        Region.objects.bulk_create(regions, batch_size=500)


# --- reading files ---------------------------------------------------------------------------


class SourceError(Exception):
    """The file cannot be read as asked (unreadable, unknown field, unknown CRS); says why."""


PARENT_FIELD_GUESSES = ("parent_code", "parent")
EXTRA_FIELD_NAMES = (*EXTRA_INTEGER_FIELDS, "is_sample")
CGCS2000_DATUM = "China 2000"
CGCS2000 = pyproj.CRS.from_epsg(4490)


def read_features(
    path,
    *,
    crs: str | None = None,
    gcj02: bool = False,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = None,
    layer: str | None = None,
) -> list[FeatureRecord]:
    """Read GeoJSON, a zipped Shapefile or a GeoPackage into lng-lat FeatureRecords.

    The source CRS is ``crs`` when given, else the file's own; a file without one must already
    be in longitude-latitude. ``gcj02`` then removes the consumer-map-app offset.
    """
    meta, geometries, columns = _read_layer(path, layer)
    fields = list(columns)
    codes = _column(columns, code_field, "code", path)
    names = _column(columns, name_field, "name", path)
    parent_field = parent_field or next((name for name in PARENT_FIELD_GUESSES if name in columns), None)
    parents = _column(columns, parent_field, "parent", path) if parent_field else [None] * len(codes)
    extras = [name for name in EXTRA_FIELD_NAMES if name in fields]
    shapes = _to_lng_lat(geometries, _source_crs(crs, meta.get("crs"), geometries, path))
    if gcj02:
        shapes = shapely.transform(shapes, gcj02_to_wgs84_xy)
    return [
        FeatureRecord(
            code=_text(codes[i]),
            name=_text(names[i]),
            geometry=shapes[i],
            parent_code=_text(parents[i]) or None,
            extra={name: _value(columns[name][i]) for name in extras if _value(columns[name][i]) is not None},
        )
        for i in range(len(codes))
    ]


def _read_layer(path, layer):
    try:
        meta, _fids, wkb, field_data = pyogrio.raw.read(str(path), layer=layer, force_2d=True)
    except Exception as error:  # pyogrio raises several error types; every one means "unreadable"
        raise SourceError(f"cannot read {path}: {error}") from error
    if wkb is None:
        raise SourceError(f"{path} has no geometry column")
    columns = dict(zip(meta["fields"], field_data, strict=True))
    return meta, shapely.from_wkb(wkb), columns


def _column(columns: dict, name: str, role: str, path):
    if name not in columns:
        present = ", ".join(columns) or "none"
        raise SourceError(f"{path} has no {role} field {name!r}; fields present: {present}")
    return columns[name]


def _source_crs(override: str | None, stored: str | None, geometries, path) -> pyproj.CRS:
    if override:
        try:
            return pyproj.CRS.from_user_input(override)
        except pyproj.exceptions.CRSError as error:
            raise SourceError(f"unknown CRS {override!r}: {error}") from error
    if stored:
        return pyproj.CRS.from_user_input(stored)
    minx, miny, maxx, maxy = shapely.total_bounds(geometries)
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return WGS84
    raise SourceError(f"{path} does not say its coordinate system and is not in longitude-latitude; pass --crs (e.g. EPSG:4550)")


def _to_lng_lat(geometries: np.ndarray, source: pyproj.CRS) -> np.ndarray:
    """Project into CGCS2000 lng-lat when the source is on that datum, else WGS84 (cm apart)."""
    geodetic = source.geodetic_crs
    datum = geodetic.datum if geodetic is not None else None
    target = CGCS2000 if datum is not None and CGCS2000_DATUM in datum.name else WGS84
    if source.is_geographic and source.equals(target, ignore_axis_order=True):
        return geometries
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def _text(value) -> str:
    value = _value(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _value(value):
    """A plain Python value from a numpy field cell; None for nulls."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value
