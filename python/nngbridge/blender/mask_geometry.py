"""Mask geometry without Blender: frame pixels <-> mask space, spline point checks, and
the extent of a cubic Bezier curve (unit-tested by tests/test_mask_geometry.py; the
``mask.*`` commands apply it to Blender's data).

Mask space is Blender's: normalized to the frame, with the shorter side's axis scaled
about 0.5 by the aspect ratio (BKE_mask_coord_from_frame / BKE_mask_coord_to_frame).
"""

from __future__ import annotations

import math

from collections.abc import Sequence
from typing import Any

from .registry import invalid

HANDLE_TYPES = ("AUTO", "VECTOR", "ALIGNED", "ALIGNED_DOUBLESIDE", "FREE")
POINT_PROPS = ("co", "handle_left", "handle_right")
POINT_KEYS = {"co", "handle_left", "handle_right", "handle_type", "handle_left_type",
              "handle_right_type"}


class Space:
    """Converts between coordinates a client gives and mask space: frame pixels of
    ``size`` (w, h) when ``pixels``, else mask space itself."""

    def __init__(self, size: tuple[float, float] | None, pixels: bool) -> None:
        self.size = size
        self.pixels = pixels and size is not None

    def to_mask(self, xy: Sequence[float]) -> tuple[float, float]:
        if not self.pixels or self.size is None:
            return float(xy[0]), float(xy[1])
        w, h = self.size
        x, y = xy[0] / w, xy[1] / h
        if w > h:
            y = (y - 0.5) * (h / w) + 0.5
        elif w < h:
            x = (x - 0.5) * (w / h) + 0.5
        return x, y

    def from_mask(self, xy: Any) -> list[float]:
        x, y = float(xy[0]), float(xy[1])
        if not self.pixels or self.size is None:
            return [x, y]
        w, h = self.size
        if w > h:
            y = (y - 0.5) * (w / h) + 0.5
        elif w < h:
            x = (x - 0.5) * (h / w) + 0.5
        return [x * w, y * h]


def _is_xy(v: Any) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
        for c in v)


def check_points(points: list[Any], space: Space) -> list[dict[str, Any]]:
    """Validates spline points (``{co, handle_left?, handle_right?, handle_type?,
    handle_left_type?, handle_right_type?}``) before anything is created; returns them in
    mask space with both handle types (default AUTO, or FREE on a point with a handle)."""
    if not points:
        raise invalid("a spline needs at least one point", arg="points")
    out = []
    for i, p in enumerate(points):
        if not isinstance(p, dict) or "co" not in p:
            raise invalid(f"points[{i}] must be a map with co", arg="points", index=i)
        unknown = set(p) - POINT_KEYS
        if unknown:
            raise invalid(f"points[{i}] has unknown keys {sorted(unknown)}", arg="points")
        q: dict[str, Any] = {}
        for key in POINT_PROPS:
            v = p.get(key)
            if v is None:
                continue
            if not _is_xy(v):
                raise invalid(f"points[{i}].{key} must be [x, y]", arg="points", index=i)
            q[key] = space.to_mask([float(c) for c in v])
        base = p.get("handle_type", "FREE" if "handle_left" in q or "handle_right" in q
                     else "AUTO")
        for side in ("handle_left_type", "handle_right_type"):
            kind = p.get(side, base)
            if not isinstance(kind, str) or kind.upper() not in HANDLE_TYPES:
                raise invalid(f"points[{i}].{side} must be one of {', '.join(HANDLE_TYPES)}",
                              arg="points", index=i)
            q[side] = kind.upper()
        out.append(q)
    return out


def bezier_extremes(p0: float, p1: float, p2: float, p3: float) -> list[float]:
    """Values of a cubic Bezier coordinate at its ends and interior extremes."""
    values = [p0, p3]
    a = -p0 + 3 * p1 - 3 * p2 + p3
    b = 2 * (p0 - 2 * p1 + p2)
    c = p1 - p0
    roots: list[float] = []
    if abs(a) < 1e-12:
        if abs(b) > 1e-12:
            roots.append(-c / b)
    else:
        disc = b * b - 4 * a * c
        if disc >= 0:
            r = disc ** 0.5
            roots += [(-b + r) / (2 * a), (-b - r) / (2 * a)]
    for t in roots:
        if 0 < t < 1:
            u = 1 - t
            values.append(u**3 * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t**3 * p3)
    return values


def curve_extent(points: list[dict[str, Sequence[float]]],
                 cyclic: bool) -> tuple[list[float], list[float]]:
    """The x and y extremes of a spline through ``points`` (``{co, handle_left,
    handle_right}``), its segments cubic Beziers, closed when ``cyclic``."""
    if len(points) == 1:
        return [points[0]["co"][0]], [points[0]["co"][1]]
    pairs = list(zip(points, points[1:]))
    if cyclic:
        pairs.append((points[-1], points[0]))
    xs: list[float] = []
    ys: list[float] = []
    for a, b in pairs:
        for axis, out in ((0, xs), (1, ys)):
            out += bezier_extremes(a["co"][axis], a["handle_right"][axis],
                                   b["handle_left"][axis], b["co"][axis])
    return xs, ys
