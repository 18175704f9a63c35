"""GCJ-02, the obfuscated datum of consumer map apps in China (Amap, Tencent), to and from WGS84.

The forward transform is the widely published one (Krasovsky ellipsoid constants and the
polynomial-plus-sine offset); it has no closed-form inverse, so ``gcj02_to_wgs84`` iterates the
forward transform until the residual is below ``tolerance`` degrees. Points outside the
bounding box the published algorithm uses for China are left untouched, as the apps do.
All functions take and return numpy arrays (or scalars) of longitudes and latitudes.
"""

import numpy as np

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the published algorithm
_EE = 0.00669342162296594323  # its first eccentricity squared

CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)  # min lng, min lat, max lng, max lat


def in_china(lngs, lats) -> np.ndarray:
    lngs, lats = np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
    min_lng, min_lat, max_lng, max_lat = CHINA_BOUNDS
    return (lngs >= min_lng) & (lngs <= max_lng) & (lats >= min_lat) & (lats <= max_lat)


def _offset_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    value = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    value += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    value += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    value += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return value


def _offset_lng(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    value = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    value += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    value += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    value += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return value


def _shift(lngs: np.ndarray, lats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) at WGS84 points, zero outside China."""
    x, y = lngs - 105.0, lats - 35.0
    d_lat, d_lng = _offset_lat(x, y), _offset_lng(x, y)
    rad_lat = lats / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    inside = in_china(lngs, lats)
    return np.where(inside, d_lng, 0.0), np.where(inside, d_lat, 0.0)


def wgs84_to_gcj02(lngs, lats) -> tuple[np.ndarray, np.ndarray]:
    lngs, lats = np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
    d_lng, d_lat = _shift(lngs, lats)
    return lngs + d_lng, lats + d_lat


def gcj02_to_wgs84(lngs, lats, tolerance: float = 1e-9, max_iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Invert the forward transform by fixed-point iteration (converges in a handful of steps)."""
    gcj_lngs, gcj_lats = np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
    wgs_lngs, wgs_lats = gcj_lngs.copy(), gcj_lats.copy()
    for _ in range(max_iterations):
        fwd_lngs, fwd_lats = wgs84_to_gcj02(wgs_lngs, wgs_lats)
        err_lngs, err_lats = fwd_lngs - gcj_lngs, fwd_lats - gcj_lats
        wgs_lngs, wgs_lats = wgs_lngs - err_lngs, wgs_lats - err_lats
        if max(np.max(np.abs(err_lngs), initial=0.0), np.max(np.abs(err_lats), initial=0.0)) < tolerance:
            break
    return wgs_lngs, wgs_lats


def gcj02_to_wgs84_xy(xy: np.ndarray) -> np.ndarray:
    """The inverse on an (N, 2) lng-lat array, the shape ``shapely.transform`` passes."""
    lngs, lats = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
    return np.column_stack([lngs, lats])
