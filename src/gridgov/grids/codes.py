"""The 15-digit grid codes of DESIGN.md section 3.

6-digit county-level administrative code (GB/T 2260) + 3-digit street + 3-digit community +
3-digit grid sequence. A unit's parent code is its own code cut to the parent's length, so the
prefix rule holds by construction wherever parents are found through ``parent_code``.
"""

import re

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


CODE_LENGTHS = {Level.DISTRICT: 6, Level.STREET: 9, Level.COMMUNITY: 12, Level.GRID: 15}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}
LEVEL_ORDER = [Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID]

_DIGITS = re.compile(r"^[0-9]+$")


class CodeError(ValueError):
    """A code that does not follow the 15-digit scheme; the message says why."""


def validate_code(code: str) -> Level:
    """Return the level a code denotes, or raise CodeError naming the problem."""
    if not isinstance(code, str) or not _DIGITS.match(code):
        raise CodeError(f"code {code!r} must consist of digits only")
    level = LEVEL_BY_LENGTH.get(len(code))
    if level is None:
        raise CodeError(f"code {code!r} has {len(code)} digits; expected 6, 9, 12 or 15")
    if code[:2] == "00" or code[4:6] == "00":
        raise CodeError(f"code {code!r} does not start with a county-level administrative code")
    for start in range(6, len(code), 3):
        if code[start : start + 3] == "000":
            raise CodeError(f"code {code!r} has sequence 000 at digits {start + 1}-{start + 3}")
    return level


def level_of(code: str) -> Level:
    return validate_code(code)


def parent_code(code: str) -> str | None:
    """The code of the unit one level up, or None for a district."""
    level = validate_code(code)
    index = LEVEL_ORDER.index(level)
    if index == 0:
        return None
    return code[: CODE_LENGTHS[LEVEL_ORDER[index - 1]]]


def child_level(level: Level) -> Level | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


def compose_code(parent: str, sequence: int) -> str:
    """The code of the ``sequence``-th child (1-based) of ``parent``."""
    if not 1 <= sequence <= 999:
        raise CodeError(f"sequence {sequence} is outside 1-999")
    if child_level(validate_code(parent)) is None:
        raise CodeError(f"grid {parent} has no children")
    return f"{parent}{sequence:03d}"
