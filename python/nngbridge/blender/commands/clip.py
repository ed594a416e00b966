"""clip.*: movie clips: load, info, one frame's pixels.

Blender has no pixel API on ``MovieClip``. A frame is read through a hidden ``Image`` of
the same file: ``image.pixels`` shows the frame an image was last acquired at, and an image
texture's ``evaluate()`` acquires it at its ``image_user.frame_current``; this works in
background mode (no GPU), unlike ``Image.gl_load``.
"""

from __future__ import annotations

import os
import re
from typing import Any

import bpy

from .. import jobs, paths
from ..registry import (FRAME, NAME, about, arg, check_frames, check_memory, command, invalid,
                        not_found, shape)
from .image import float_buffer, floats, pixel_payload

READER_TEXTURE = ".nngbridge frame reader"


def get_clip(name: str) -> bpy.types.MovieClip:
    clip = bpy.data.movieclips.get(name)
    if clip is None:
        raise not_found("clip", name)
    return clip


CLIP = shape("clip", "{name, path: str, source: str, frame_start: int, "
                      "frame_duration: int, frame_offset: int, size: [w, h], fps: float}")


def info(clip: bpy.types.MovieClip) -> dict[str, Any]:
    w, h = clip.size
    return {"name": clip.name, "path": bpy.path.abspath(clip.filepath), "source": clip.source,
            "frame_start": clip.frame_start, "frame_duration": clip.frame_duration,
            "frame_offset": clip.frame_offset, "size": [w, h], "fps": clip.fps}


def clip_frame(clip: bpy.types.MovieClip, frame: int) -> int:
    """Scene frame to clip frame (1-based), as Blender's clip editor maps them."""
    return frame - clip.frame_start + 1


def frame_range_check(clip: bpy.types.MovieClip, frame: int) -> int:
    c = clip_frame(clip, frame) + clip.frame_offset
    if not 1 <= c <= clip.frame_duration:
        first = clip.frame_start - clip.frame_offset
        raise invalid(f"frame {frame} is outside the clip (frames {first}.."
                      f"{first + clip.frame_duration - 1})", arg="frame")
    return c


def reader_image(clip: bpy.types.MovieClip) -> bpy.types.Image:
    """The hidden image that mirrors ``clip``'s file (made once, found again by name)."""
    name = f".nngbridge clip {clip.name}"
    path = bpy.path.abspath(clip.filepath)
    img = bpy.data.images.get(name)
    if img is None or bpy.path.abspath(img.filepath) != path:
        if img is not None:
            bpy.data.images.remove(img)
        img = bpy.data.images.load(path, check_existing=False)
        img.name = name
        img.source = clip.source  # MOVIE or SEQUENCE
    return img


def first_file_number(path: str) -> int:
    digits = re.findall(r"\d+", os.path.basename(path))
    return int(digits[-1]) if digits else 1


def acquire_frame(clip: bpy.types.MovieClip, frame: int) -> bpy.types.Image:
    """The hidden image of ``clip`` showing ``frame`` (its ``pixels`` read that frame)."""
    movie_frame = frame_range_check(clip, frame)
    img = reader_image(clip)
    tex = bpy.data.textures.get(READER_TEXTURE)
    if tex is None or tex.type != "IMAGE":
        tex = bpy.data.textures.new(READER_TEXTURE, "IMAGE")
    tex.image = img
    user = tex.image_user
    user.frame_start, user.frame_offset = 1, 0
    user.frame_duration = max(clip.frame_duration + clip.frame_offset, 1)
    if clip.source == "SEQUENCE":  # file numbers, not positions, name sequence frames
        movie_frame += first_file_number(clip.filepath) - 1
        user.frame_duration = movie_frame
    user.frame_current = movie_frame
    tex.evaluate((0.0, 0.0, 0.0))  # acquires the frame; image.pixels now shows it
    w, h = img.size
    if (w, h) == (0, 0):
        raise invalid(f"frame {frame} of {clip.name} could not be read", arg="frame")
    return img


def read_frame(clip: bpy.types.MovieClip, frame: int) -> tuple[Any, list[int]]:
    """One frame's pixels as (float32 buffer, [h, w, c])."""
    img = acquire_frame(clip, frame)
    w, h = img.size
    check_memory(4 * w * h * img.channels, f"frame {frame} of {clip.name}")
    buf = float_buffer(len(img.pixels))
    img.pixels.foreach_get(buf)
    w, h = img.size
    return buf, [h, w, img.channels]


@command("clip.load", path=arg(str), name=arg(str, default=None, **NAME))
@about(CLIP, errors=("FORBIDDEN", "NOT_FOUND"))
def load(path: str, name) -> dict[str, Any]:
    """Loads a movie file or the first file of an image sequence, from an allowed
    directory (docs/protocol.md §7.2)."""
    clip = bpy.data.movieclips.load(paths.readable(path), check_existing=False)
    if name:
        clip.name = name
    if tuple(clip.size) == (0, 0):
        bpy.data.movieclips.remove(clip)
        raise invalid(f"{path} is not a movie or image Blender can read", arg="path")
    return info(clip)


@command("clip.info", name=arg(str, **NAME))
@about(CLIP, errors=("NOT_FOUND",))
def clip_info(name: str) -> dict[str, Any]:
    return info(get_clip(name))


@command("clip.list")
@about("{clips: [description]}")
def list_() -> dict[str, Any]:
    return {"clips": [info(c) for c in bpy.data.movieclips]}


@command("clip.set", name=arg(str, **NAME), frame_start=arg(int, default=None, **FRAME),
         frame_offset=arg(int, default=None, **FRAME))
@about(CLIP, errors=("NOT_FOUND",))
def set_(name: str, frame_start, frame_offset) -> dict[str, Any]:
    """Sets the start frame and offset (both checked, as frames, before either is set)."""
    clip = get_clip(name)
    if frame_start is not None:
        clip.frame_start = frame_start
    if frame_offset is not None:
        clip.frame_offset = frame_offset
    return info(clip)


@command("clip.frame_pixels", name=arg(str, **NAME), frame=arg(int, **FRAME))
@about("array f4 [h, w, 4]", errors=("NOT_FOUND", "TOO_LARGE"))
def frame_pixels(name: str, frame: int) -> dict[str, Any]:
    """One frame (a scene frame, mapped through the clip's start and offset) as
    ``f4 [h, w, 4]``, rows bottom-up."""
    clip = get_clip(name)
    frame_range_check(clip, frame)
    w, h = clip.size
    check_memory(16 * w * h, f"frame {frame} of {clip.name}")
    img = acquire_frame(clip, frame)
    w, h = img.size
    count = pixel_payload(img, f"frame {frame} of {clip.name}")
    return {"dtype": "f4", "shape": [h, w, img.channels],
            "data": floats(count, img.pixels.foreach_get)}


def _mean_colors(name: str, frames: range) -> jobs.JobSteps:
    out = []
    for i, frame in enumerate(frames):
        buf, (h, w, c) = read_frame(get_clip(name), frame)
        view = memoryview(buf).cast("B").cast("f")
        n = h * w
        out.append({"frame": frame, "color": [sum(view[k::c]) / n for k in range(c)]})
        yield (i + 1) / len(frames)
    return {"frames": out}


@command("clip.mean_colors", name=arg(str, **NAME), frame_start=arg(int, default=None, **FRAME),
         frame_end=arg(int, default=None, **FRAME))
@about("{job}", errors=("NOT_FOUND", "BUSY", "TOO_LARGE"), job=True)
def mean_colors(name: str, frame_start, frame_end) -> dict[str, Any]:
    """A pass over the clip's frames computing each one's mean colour (a job: one frame
    per step, progress as ``job`` events)."""
    clip = get_clip(name)
    first = clip.frame_start - clip.frame_offset
    start = first if frame_start is None else frame_start
    end = first + clip.frame_duration - 1 if frame_end is None else frame_end
    frame_range_check(clip, start)
    frame_range_check(clip, end)
    if end < start:
        raise invalid("frame_end is before frame_start", arg="frame_end")
    check_frames(end - start + 1)
    w, h = clip.size
    check_memory(16 * w * h, f"a frame of {clip.name}")
    return jobs.submit("clip.mean_colors", _mean_colors(name, range(start, end + 1)))
