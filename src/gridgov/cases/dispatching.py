"""Who a filed case should go to: the dispatch proposal of "solved in the grid" (DESIGN.md section 4).

A category the grid can handle goes to the case's own grid first; anything else goes to the
category's default department, or to the street when the category names none. A unit that
already sent the case back (a ``return`` step) is not proposed again: the next alternative is.

This module only reads. The dispatcher confirms (or overrides) the proposal by taking the
``dispatch`` action with the proposal's ``params``.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from gridgov.accounts.models import Department
from gridgov.grids.models import Region

from .catalogue import localized
from .models import Case, Step

COMMUNITY_CODE_LENGTH, STREET_CODE_LENGTH = 12, 9


@dataclass(frozen=True)
class Assignee:
    """A department, or a unit of the grid network (grid, community, street)."""

    department: Department | None = None
    region: Region | None = None

    @property
    def unit(self) -> Department | Region:
        if self.department is not None:
            return self.department
        assert self.region is not None, "an assignee is a department or a unit"
        return self.region

    @property
    def code(self) -> str:
        return self.unit.code

    @property
    def name(self) -> str:
        return localized(self.department.name) if self.department is not None else self.unit.name

    @property
    def params(self) -> dict[str, Any]:
        """The keyword arguments of ``take_action(..., "dispatch", ...)`` that pick this assignee."""
        return {"department": self.code} if self.department is not None else {"region": self.code}


@dataclass(frozen=True)
class Proposal:
    assignee: Assignee
    reason: str
    alternatives: tuple[Assignee, ...]

    @property
    def department(self) -> Department | None:
        return self.assignee.department

    @property
    def region(self) -> Region | None:
        return self.assignee.region


def propose_assignee(case: Case) -> Proposal:
    """The proposed handler of ``case`` with the reason, and every other unit it could go to."""
    category = case.category
    grid, community, street = _grid_units(case)
    departments = list(Department.objects.order_by("code"))
    default_department = next((d for d in departments if d.pk == category.default_department_id), None)
    names = {"category": localized(category.name)}
    if category.handled_in_grid:
        first, reason = Assignee(region=grid), _("%(category)s can be handled in the grid: solved where it was found.") % names
    elif default_department is not None:
        first = Assignee(department=default_department)
        reason = _("%(category)s is handled by its default department.") % names
    else:
        first, reason = Assignee(region=street), _("%(category)s has no default department; the street coordinates it.") % names
    candidates = [first, *_others(first, [grid, community, street], departments, default_department)]
    returned_by = _units_that_returned(case)
    if first.code in returned_by:
        fallback = next((c for c in candidates if c.code not in returned_by), first)
        if fallback is not first:
            reason = _("%(unit)s sent the case back; the next unit in line is proposed.") % {"unit": first.name}
            first = fallback
    return Proposal(first, reason, tuple(c for c in candidates if c.code != first.code))


def _grid_units(case: Case) -> tuple[Region, Region | None, Region | None]:
    codes = [case.grid_code[:COMMUNITY_CODE_LENGTH], case.grid_code[:STREET_CODE_LENGTH]]
    parents = {region.code: region for region in Region.objects.filter(code__in=codes)}
    return case.grid, parents.get(codes[0]), parents.get(codes[1])


def _others(first: Assignee, units, departments, default_department) -> list[Assignee]:
    """The grid, its community and street, the default department, then the other departments."""
    ordered = [Assignee(region=unit) for unit in units if unit is not None]
    if default_department is not None:
        ordered.append(Assignee(department=default_department))
    ordered += [Assignee(department=d) for d in departments if d != default_department]
    return [assignee for assignee in ordered if assignee.code != first.code]


def _units_that_returned(case: Case) -> set[str]:
    if case.pk is None or not case.return_count:
        return set()
    steps = Step.objects.filter(case_id=case.pk, action="return").values_list("data", flat=True)
    return {data.get("returned_by") for data in steps if data.get("returned_by")}
