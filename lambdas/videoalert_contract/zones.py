"""Zones and masks of a camera: polygons in normalized frame coordinates (x, y in [0, 1], origin top left).

A zone is where a person must be for an alert; a mask is ignored entirely. No zone means the whole frame is a
zone. One definition, standard library only: the rule (domain), the inference image (which blanks the pixels
outside the allowed area before scoring), the CLI and the review page all use it.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

Point = tuple[float, float]
Polygon = tuple[Point, ...]

MAX_POLYGONS = 8
MAX_POINTS = 32
# A scored region (motion box, tile) counts for an alert when at least this fraction of its area lies in the
# allowed area (inside a zone, outside every mask).
MIN_ALLOWED_FRACTION = 0.25
_GRID = 16  # sample points per side when estimating a box's allowed fraction


class BadPolygon(ValueError):
    """A zone or mask that is not a polygon in normalized coordinates."""


def parse_polygon(text: str) -> Polygon:
    """"x,y x,y x,y ..." (at least 3 points, each coordinate in [0, 1]) -> a polygon."""
    points = []
    for pair in text.replace(";", " ").split():
        try:
            x_text, y_text = pair.split(",")
            x, y = float(x_text), float(y_text)
        except ValueError:
            raise BadPolygon(f"{pair!r} is not an x,y pair (as in '0.1,0.2 0.9,0.2 0.9,0.8')") from None
        points.append((x, y))
    return polygon(points)


def polygon(points: Iterable[Sequence[float]]) -> Polygon:
    """Validate points as a polygon: 3 to MAX_POINTS points, finite coordinates in [0, 1], a non-zero area."""
    out: list[Point] = []
    for point in points:
        if len(point) != 2:
            raise BadPolygon(f"a point has two coordinates, got {list(point)}")
        x, y = float(point[0]), float(point[1])
        if not (math.isfinite(x) and math.isfinite(y) and 0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise BadPolygon(f"coordinates are fractions of the frame in [0, 1], got ({x}, {y})")
        out.append((round(x, 4), round(y, 4)))
    if not 3 <= len(out) <= MAX_POINTS:
        raise BadPolygon(f"a polygon has 3 to {MAX_POINTS} points, got {len(out)}")
    if area(out) < 1e-6:
        raise BadPolygon("the polygon has no area (its points are on one line)")
    return tuple(out)


def polygons(items: Iterable[Iterable[Sequence[float]]] | None) -> tuple[Polygon, ...]:
    """A list of polygons as stored or sent (lists of [x, y]), validated."""
    out = tuple(polygon(points) for points in (items or ()))
    if len(out) > MAX_POLYGONS:
        raise BadPolygon(f"at most {MAX_POLYGONS} zones and {MAX_POLYGONS} masks, got {len(out)}")
    return out


def to_lists(items: Sequence[Polygon]) -> list[list[list[float]]]:
    """Polygons as plain JSON lists ([[[x, y], ...], ...])."""
    return [[[x, y] for x, y in poly] for poly in items]


def area(points: Sequence[Point]) -> float:
    """Shoelace area."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def contains(poly: Sequence[Point], x: float, y: float) -> bool:
    """Even-odd ray casting: is (x, y) inside the polygon (points on the left/top edges count as inside)."""
    inside = False
    for (x0, y0), (x1, y1) in zip(poly, [*poly[1:], poly[0]], strict=True):
        if (y0 > y) != (y1 > y):
            cross = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
            if x < cross:
                inside = not inside
    return inside


def allowed(x: float, y: float, zones: Sequence[Polygon], masks: Sequence[Polygon]) -> bool:
    """Is this point of the frame looked at: inside a zone (or there are none) and outside every mask."""
    if any(contains(mask, x, y) for mask in masks):
        return False
    return not zones or any(contains(zone, x, y) for zone in zones)


def allowed_fraction(box: Sequence[float] | None, zones: Sequence[Polygon], masks: Sequence[Polygon]) -> float:
    """The fraction of a box [x0, y0, x1, y1] (None: the whole frame) in the allowed area, on a 16x16 grid of
    sample points (exact enough for a threshold of a quarter, and the same on every side)."""
    if not zones and not masks:
        return 1.0
    x0, y0, x1, y1 = (0.0, 0.0, 1.0, 1.0) if box is None else (float(v) for v in box)
    inside = 0
    for i in range(_GRID):
        for j in range(_GRID):
            x = x0 + (x1 - x0) * (i + 0.5) / _GRID
            y = y0 + (y1 - y0) * (j + 0.5) / _GRID
            inside += allowed(x, y, zones, masks)
    return inside / (_GRID * _GRID)


def region_counts(box: Sequence[float] | None, zones: Sequence[Polygon], masks: Sequence[Polygon]) -> bool:
    """Does a scored entry count for an alert? A whole frame always does (the inference function blanked what is
    outside the allowed area before scoring it); a motion region or tile only if enough of it is allowed."""
    if box is None:
        return True
    return allowed_fraction(box, zones, masks) >= MIN_ALLOWED_FRACTION
