"""The scoring schemes (weights and grade bands per level) as the admin left them, kept per
process: every table and dashboard reads them, and they change a few times a year."""

from dataclasses import dataclass
from decimal import Decimal

from gridgov.caching import ProcessCache

from .indicators import default_weights

SCHEMES_TTL_SECONDS = 60.0


@dataclass(frozen=True)
class ScoringScheme:
    weights: dict[str, Decimal]
    bands: tuple[Decimal, Decimal, Decimal, Decimal]


DEFAULT_BANDS = (Decimal(90), Decimal(75), Decimal(60), Decimal(40))


def _load() -> dict[str, ScoringScheme]:
    from .models import Scheme, Weight

    weights: dict[str, dict[str, Decimal]] = {}
    for level, indicator, weight in Weight.objects.values_list("scheme__level", "indicator", "weight"):
        weights.setdefault(level, {})[indicator] = weight
    return {
        scheme.level: ScoringScheme(
            weights.get(scheme.level, {}), (scheme.grade_a, scheme.grade_b, scheme.grade_c, scheme.grade_d)
        )
        for scheme in Scheme.objects.all()
    }


_schemes = ProcessCache(_load, SCHEMES_TTL_SECONDS)


def scheme_for(level: str) -> ScoringScheme:
    """The level's scheme; the defaults if the admin deleted it."""
    scheme = _schemes.get().get(level)
    if scheme is None:
        return ScoringScheme({key: Decimal(value) for key, value in default_weights(level).items()}, DEFAULT_BANDS)
    return scheme


def forget_schemes(**_signal_arguments) -> None:
    _schemes.forget()
