"""render.*: still images and animations as jobs (one step per frame), so the server keeps
answering and the UI keeps drawing between frames."""

from __future__ import annotations

import os
from typing import Any

import bpy

from .. import jobs, paths
from ..registry import FRAME, about, arg, check_frames, check_memory, command, invalid
from .image import FORMATS

ENGINES = ("CYCLES", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH")


def _format_for(path: str) -> str:
    return FORMATS.get(os.path.splitext(path)[1].lstrip(".").lower(), "PNG")


def check_render_memory() -> None:
    """A render holds at least a float RGBA buffer of the output size: it must fit the
    memory budget (checked before the job is queued)."""
    r = bpy.context.scene.render
    w = r.resolution_x * r.resolution_percentage // 100
    h = r.resolution_y * r.resolution_percentage // 100
    check_memory(16 * w * h, f"a {w}x{h} render")


def _render_frames(frames: Any, path_for: Any, engine: str | None) -> jobs.JobSteps:
    scene = bpy.context.scene
    r = scene.render
    saved = (r.filepath, r.image_settings.file_format, r.engine, r.use_file_extension,
             scene.frame_current)
    written = []
    try:
        if engine is not None:
            r.engine = engine
        for i, frame in enumerate(frames):
            # Each frame's file is checked by the path rule (a symlink may have appeared
            # since the request), and written under exactly that name: no added extension.
            path = paths.writable(path_for(frame))
            r.filepath, r.use_file_extension = path, False
            r.image_settings.file_format = _format_for(path)
            scene.frame_set(frame)
            bpy.ops.render.render(write_still=True)
            written.append(path)
            yield (i + 1) / len(frames)
    finally:  # also on cancel (GeneratorExit): leave the scene's settings as they were
        r.filepath, r.image_settings.file_format, r.engine, r.use_file_extension = saved[:4]
        scene.frame_set(saved[4])
    return {"paths": written}


@command("render.still", path=arg(str), frame=arg(int, default=None, **FRAME),
         engine=arg(str, default=None, choices=ENGINES))
@about("{job}", errors=("FORBIDDEN", "NOT_FOUND", "BUSY", "TOO_LARGE"), job=True)
def still(path: str, frame, engine) -> dict[str, Any]:
    """Renders the scene's camera view to ``path``, inside an allowed directory (a job)."""
    check_render_memory()
    target = paths.writable(path)
    f = bpy.context.scene.frame_current if frame is None else frame
    return jobs.submit("render.still", _render_frames([f], lambda _: target, engine))


@command("render.animation", path=arg(str), frame_start=arg(int, default=None, **FRAME),
         frame_end=arg(int, default=None, **FRAME), engine=arg(str, default=None, choices=ENGINES))
@about("{job}", errors=("FORBIDDEN", "NOT_FOUND", "BUSY", "TOO_LARGE"), job=True)
def animation(path: str, frame_start, frame_end, engine) -> dict[str, Any]:
    """Renders frames to ``path`` with ``#`` replaced by the frame number, zero padded
    (``out_####.png``), inside an allowed directory (a job, one step per frame)."""
    if "#" not in os.path.basename(path) or "#" in os.path.dirname(path):
        raise invalid("the file name (only) needs # signs for the frame number, e.g. "
                      "out_####.png", arg="path")
    path = paths.writable(path)
    scene = bpy.context.scene
    start = scene.frame_start if frame_start is None else frame_start
    end = scene.frame_end if frame_end is None else frame_end
    if end < start:
        raise invalid("frame_end is before frame_start", arg="frame_end")
    check_frames(end - start + 1)
    check_render_memory()
    digits = path.count("#")
    head, tail = path.split("#", 1)[0], path.rsplit("#", 1)[1]

    def path_for(f: int) -> str:
        return f"{head}{f:0{digits}d}{tail}"

    return jobs.submit("render.animation",
                       _render_frames(range(start, end + 1), path_for, engine))
