"""The add-on's mask geometry without Blender: pixels <-> mask space, spline point checks
and curve extents (the real-Blender side is check_commands.py's mask checks)."""

from __future__ import annotations

import pytest

from nngbridge.blender.mask_geometry import (
    Space,
    bezier_extremes,
    check_points,
    curve_extent,
)
from nngbridge.blender.registry import CommandError


@pytest.mark.parametrize("size", [(64.0, 48.0), (48.0, 64.0), (32.0, 32.0)])
def test_pixels_round_trip_through_mask_space(size):
    space = Space(size, pixels=True)
    for xy in ([0.0, 0.0], [10.5, 3.25], [size[0], size[1]], [-4.0, 100.0]):
        assert space.from_mask(space.to_mask(xy)) == pytest.approx(xy)


def test_the_shorter_side_is_scaled_about_the_centre():
    wide = Space((200.0, 100.0), pixels=True)
    assert wide.to_mask([100.0, 50.0]) == pytest.approx((0.5, 0.5))
    assert wide.to_mask([200.0, 100.0]) == pytest.approx((1.0, 0.75))
    tall = Space((100.0, 200.0), pixels=True)
    assert tall.to_mask([0.0, 0.0]) == pytest.approx((0.25, 0.0))


def test_normalized_and_sizeless_spaces_pass_coordinates_through():
    assert Space((64.0, 48.0), pixels=False).to_mask([0.3, 0.7]) == (0.3, 0.7)
    assert Space(None, pixels=True).from_mask((0.3, 0.7)) == [0.3, 0.7]


def test_points_get_handle_types_and_mask_coordinates():
    space = Space((100.0, 100.0), pixels=True)
    out = check_points([{"co": [50, 50]},
                        {"co": [10, 20], "handle_left": [0, 20]},
                        {"co": [0, 0], "handle_type": "vector", "handle_right_type": "FREE"}],
                       space)
    assert out[0] == {"co": (0.5, 0.5), "handle_left_type": "AUTO",
                      "handle_right_type": "AUTO"}
    assert out[1]["handle_left"] == (0.0, 0.2) and out[1]["handle_left_type"] == "FREE"
    assert (out[2]["handle_left_type"], out[2]["handle_right_type"]) == ("VECTOR", "FREE")


@pytest.mark.parametrize(("points", "words"), [
    ([], "at least one point"),
    ([{"handle_left": [0, 0]}], "map with co"),
    ([{"co": [0, 0], "colour": 1}], "unknown keys"),
    ([{"co": [0, True]}], "must be [x, y]"),
    ([{"co": [0, 0, 0]}], "must be [x, y]"),
    ([{"co": [0, 0], "handle_type": "SMOOTH"}], "must be one of"),
])
def test_bad_points_are_invalid_arguments(points, words):
    with pytest.raises(CommandError) as e:
        check_points(points, Space(None, pixels=False))
    assert e.value.code == "INVALID_ARGUMENT" and words in e.value.message
    assert e.value.details["arg"] == "points"


def test_bezier_extremes_include_the_interior_peak():
    # A symmetric arch from 0 up to control points at 1 and back: its peak is 0.75.
    assert max(bezier_extremes(0.0, 1.0, 1.0, 0.0)) == pytest.approx(0.75)
    assert sorted(bezier_extremes(0.0, 1 / 3, 2 / 3, 1.0)) == pytest.approx([0.0, 1.0])


def test_curve_extent_follows_handles_and_closes_cyclic_splines():
    a = {"co": (0.0, 0.0), "handle_left": (0.0, -1.0), "handle_right": (0.0, 1.0)}
    b = {"co": (1.0, 0.0), "handle_left": (1.0, 1.0), "handle_right": (1.0, -1.0)}
    xs, ys = curve_extent([a, b], cyclic=False)
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx((0.0, 1.0, 0.0, 0.75))
    xs, ys = curve_extent([a, b], cyclic=True)
    assert min(ys) == pytest.approx(-0.75)
    assert curve_extent([a], cyclic=True) == ([0.0], [0.0])
