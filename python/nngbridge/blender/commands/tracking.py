"""tracking.*: a clip's tracks, adding a track, markers per frame (get/set), pattern and
search areas. Positions and sizes are in clip pixels (Blender stores them normalized);
frames are scene frames, mapped through the clip's start frame."""

from __future__ import annotations

import math
from typing import Any

import bpy

from ..registry import FRAME, NAME, CommandError, about, arg, command, invalid, not_found
from .clip import clip_frame, get_clip

MARKER_KEYS = {"frame", "position", "pattern_size", "search_size", "mute"}


def get_track(clip: bpy.types.MovieClip, name: str) -> bpy.types.MovieTrackingTrack:
    track = clip.tracking.tracks.get(name)
    if track is None:
        raise not_found("track", name)
    return track


def describe_marker(clip: bpy.types.MovieClip, m: Any) -> dict[str, Any]:
    w, h = clip.size
    corners = [tuple(c) for c in m.pattern_corners]
    pw = (max(c[0] for c in corners) - min(c[0] for c in corners)) * w
    ph = (max(c[1] for c in corners) - min(c[1] for c in corners)) * h
    return {"frame": m.frame + clip.frame_start - 1,
            "position": [m.co[0] * w, m.co[1] * h],
            "pattern_size": [pw, ph],
            "search_size": [(m.search_max[0] - m.search_min[0]) * w,
                            (m.search_max[1] - m.search_min[1]) * h],
            "mute": m.mute, "keyed": m.is_keyed}


def _pair(value: Any, what: str, index: int) -> list[float]:
    if not (isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value)):
        raise invalid(f"markers[{index}].{what} must be [x, y]", arg="markers", index=index)
    return [float(v) for v in value]


def check_markers(markers: list) -> list[dict[str, Any]]:
    out = []
    for i, m in enumerate(markers):
        if not isinstance(m, dict) or not {"frame", "position"} <= set(m):
            raise invalid(f"markers[{i}] needs frame and position", arg="markers", index=i)
        if set(m) - MARKER_KEYS:
            raise invalid(f"markers[{i}] has unknown keys {sorted(set(m) - MARKER_KEYS)}",
                          arg="markers", index=i)
        if type(m["frame"]) is not int or not FRAME["minimum"] <= m["frame"] <= FRAME["maximum"]:
            raise invalid(f"markers[{i}].frame must be an integer frame "
                          f"({FRAME['minimum']}..{FRAME['maximum']})", arg="markers", index=i)
        q: dict[str, Any] = {"frame": m["frame"], "position": _pair(m["position"], "position", i)}
        for key in ("pattern_size", "search_size"):
            if m.get(key) is not None:
                q[key] = _pair(m[key], key, i)
                if min(q[key]) <= 0:
                    raise invalid(f"markers[{i}].{key} must be positive", arg="markers", index=i)
        if "mute" in m:
            if not isinstance(m["mute"], bool):
                raise invalid(f"markers[{i}].mute must be a bool", arg="markers", index=i)
            q["mute"] = m["mute"]
        out.append(q)
    return out


def write_marker(clip: bpy.types.MovieClip, track: Any, q: dict[str, Any]) -> Any:
    w, h = clip.size
    frame = clip_frame(clip, q["frame"])
    co = (q["position"][0] / w, q["position"][1] / h)
    marker = track.markers.find_frame(frame, exact=True)
    if marker is None:
        previous = track.markers.find_frame(frame, exact=False)
        pattern = [tuple(c) for c in previous.pattern_corners] if previous else None
        search = (tuple(previous.search_min), tuple(previous.search_max)) if previous else None
        marker = track.markers.insert_frame(frame, co=co)
        # A new marker takes its neighbour's areas, as Blender's own tracker does.
        if pattern:
            marker.pattern_corners = pattern
        if search and search != ((0.0, 0.0), (0.0, 0.0)):
            marker.search_min, marker.search_max = search
    else:
        marker.co = co
    if "pattern_size" in q:
        pw, ph = q["pattern_size"][0] / w / 2, q["pattern_size"][1] / h / 2
        marker.pattern_corners = ((-pw, -ph), (pw, -ph), (pw, ph), (-pw, ph))
    if "search_size" in q:
        sw, sh = q["search_size"][0] / w / 2, q["search_size"][1] / h / 2
        marker.search_min, marker.search_max = (-sw, -sh), (sw, sh)
    if "mute" in q:
        marker.mute = q["mute"]
    return marker


@command("tracking.tracks", clip=arg(str, **NAME))
@about("{tracks: [{name, markers: int (count), hide, average_error}]}", errors=("NOT_FOUND",))
def tracks(clip: str) -> dict[str, Any]:
    c = get_clip(clip)
    return {"tracks": [{"name": t.name, "markers": len(t.markers), "hide": t.hide,
                        "average_error": t.average_error} for t in c.tracking.tracks]}


@command("tracking.add_track", clip=arg(str, **NAME), frame=arg(int, **FRAME), position=arg(list,
         length=2),
         name=arg(str, default=None, **NAME), pattern_size=arg(list, default=None, length=2),
         search_size=arg(list, default=None, length=2))
@about("{name, markers: [marker]}", errors=("NOT_FOUND",))
def add_track(clip: str, frame: int, position: list, name, pattern_size,
              search_size) -> dict[str, Any]:
    """A new track with one marker at ``position`` (pixels) on ``frame``; areas default to
    the clip's tracking settings."""
    c = get_clip(clip)
    if name is not None and c.tracking.tracks.get(name) is not None:
        raise invalid(f"clip {clip} already has a track {name!r}", arg="name")
    settings = c.tracking.settings
    q = check_markers([{
        "frame": frame, "position": position,
        "pattern_size": pattern_size or [settings.default_pattern_size] * 2,
        "search_size": search_size or [settings.default_search_size] * 2}])[0]
    track = c.tracking.tracks.new(name=name or "Track", frame=clip_frame(c, frame))
    write_marker(c, track, q)
    return {"name": track.name, "markers": [describe_marker(c, m) for m in track.markers]}


@command("tracking.markers_get", clip=arg(str, **NAME), track=arg(str, **NAME), frame=arg(int,
         default=None, **FRAME))
@about("{markers: [marker]}", errors=("NOT_FOUND",))
def markers_get(clip: str, track: str, frame) -> dict[str, Any]:
    """All markers of a track, or the one in effect at ``frame``."""
    c = get_clip(clip)
    t = get_track(c, track)
    if frame is not None:
        m = t.markers.find_frame(clip_frame(c, frame), exact=False)
        return {"markers": [describe_marker(c, m)] if m is not None else []}
    return {"markers": [describe_marker(c, m) for m in t.markers]}


@command("tracking.markers_set", clip=arg(str, **NAME), track=arg(str, **NAME), markers=arg(list))
@about("{track, markers: int (count)}", errors=("NOT_FOUND",))
def markers_set(clip: str, track: str, markers: list) -> dict[str, Any]:
    """Sets (inserting where missing) markers [{frame, position, pattern_size?,
    search_size?, mute?}], all validated first."""
    c = get_clip(clip)
    t = get_track(c, track)
    checked = check_markers(markers)
    for q in checked:
        write_marker(c, t, q)
    return {"track": t.name, "markers": len(t.markers)}


@command("tracking.markers_delete", clip=arg(str, **NAME), track=arg(str, **NAME),
         frames=arg(list, items=int, **FRAME))
@about("{track, markers: int}", errors=("NOT_FOUND",))
def markers_delete(clip: str, track: str, frames: list) -> dict[str, Any]:
    c = get_clip(clip)
    t = get_track(c, track)
    missing = [f for f in frames if t.markers.find_frame(clip_frame(c, f), exact=True) is None]
    if missing:
        raise CommandError("NOT_FOUND", f"no marker on frame(s) {missing}", {"frames": missing})
    for f in frames:
        t.markers.delete_frame(clip_frame(c, f))
    return {"track": t.name, "markers": len(t.markers)}
