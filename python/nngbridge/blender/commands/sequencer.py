"""sequencer.*: the video sequence editor: ensure it exists, add movie, image, effect and
text strips, get and set strip properties, delete.

Blender renamed ``sequence_editor.sequences`` to ``strips`` (4.4; the old name is gone
in 5.0) and ``new_effect``'s ``seq1``/``seq2`` to ``input1``/``input2``; both spellings
are handled here, once.
"""

from __future__ import annotations

import os
from typing import Any

import bpy

from .. import rna
from ..paths import readable
from ..registry import FRAME, NAME, about, arg, command, invalid, not_found, shape
EFFECTS = ("CROSS", "ADD", "SUBTRACT", "ALPHA_OVER", "ALPHA_UNDER", "GAMMA_CROSS", "MULTIPLY",
           "OVER_DROP", "WIPE", "GLOW", "TRANSFORM", "COLOR", "SPEED", "MULTICAM",
           "ADJUSTMENT", "GAUSSIAN_BLUR", "TEXT", "COLORMIX")
TWO_INPUTS = ("CROSS", "ADD", "SUBTRACT", "ALPHA_OVER", "ALPHA_UNDER", "GAMMA_CROSS",
              "MULTIPLY", "OVER_DROP", "WIPE", "COLORMIX")
ONE_INPUT = ("GLOW", "TRANSFORM", "SPEED", "GAUSSIAN_BLUR")
CHANNELS = {"minimum": 1, "maximum": 128}


def editor(create: bool = False) -> Any:
    scene = bpy.context.scene
    if scene.sequence_editor is None:
        if not create:
            raise not_found("sequence editor in scene", scene.name)
        scene.sequence_editor_create()
    return scene.sequence_editor


def top_strips(sed: Any) -> Any:
    return sed.strips if hasattr(sed, "strips") else sed.sequences


def all_strips(sed: Any) -> Any:
    return sed.strips_all if hasattr(sed, "strips_all") else sed.sequences_all


def get_strip(name: str) -> Any:
    strip = all_strips(editor()).get(name)
    if strip is None:
        raise not_found("strip", name)
    return strip


STRIP = shape(
    "strip", "{name, type: str, channel: int, frame_start: float, frame_final_start: int, "
    "frame_final_end: int, frame_final_duration: int, mute: bool, blend_type: str, "
    "blend_alpha: float, filepath?: str, directory?: str, text?: str, font_size?: float, "
    "color?: [r, g, b, a], location?: [x, y], properties?: {path: value}}")


def describe(strip: Any) -> dict[str, Any]:
    out = {"name": strip.name, "type": strip.type, "channel": strip.channel,
           "frame_start": strip.frame_start, "frame_final_start": strip.frame_final_start,
           "frame_final_end": strip.frame_final_end,
           "frame_final_duration": strip.frame_final_duration, "mute": strip.mute,
           "blend_type": strip.blend_type, "blend_alpha": strip.blend_alpha}
    for key in ("filepath", "directory", "text", "font_size", "color", "location"):
        if hasattr(strip, key):
            out[key] = rna.plain(getattr(strip, key))
    return out


@command("sequencer.ensure")
@about("{scene, strips: int (top-level count)}")
def ensure() -> dict[str, Any]:
    """Creates the scene's sequence editor if missing."""
    sed = editor(create=True)
    return {"scene": bpy.context.scene.name, "strips": len(top_strips(sed))}


@command("sequencer.list")
@about("{strips: [description]}")
def list_() -> dict[str, Any]:
    scene = bpy.context.scene
    if scene.sequence_editor is None:
        return {"strips": []}
    return {"strips": [describe(s) for s in all_strips(scene.sequence_editor)]}


@command("sequencer.add_movie", name=arg(str, **NAME), path=arg(str), channel=arg(int, **CHANNELS),
         frame_start=arg(int, **FRAME))
@about(STRIP, errors=("FORBIDDEN", "NOT_FOUND"))
def add_movie(name: str, path: str, channel: int, frame_start: int) -> dict[str, Any]:
    """A movie strip from a file in an allowed directory (docs/protocol.md §7.2)."""
    real = readable(path)
    strip = top_strips(editor(create=True)).new_movie(name, real, channel, frame_start)
    return describe(strip)


@command("sequencer.add_image", name=arg(str, **NAME), paths=arg(list, items=str),
         channel=arg(int, **CHANNELS), frame_start=arg(int, **FRAME))
@about(STRIP, errors=("FORBIDDEN", "NOT_FOUND"))
def add_image(name: str, paths: list, channel: int, frame_start: int) -> dict[str, Any]:
    """An image strip; several paths (in one directory) make an image sequence."""
    if not paths:
        raise invalid("paths must name at least one image", arg="paths")
    real = [readable(p, arg="paths") for p in paths]
    if len({os.path.dirname(p) for p in real}) != 1:
        raise invalid("the images of one strip must share a directory", arg="paths")
    strip = top_strips(editor(create=True)).new_image(name, real[0], channel, frame_start)
    for p in real[1:]:
        strip.elements.append(os.path.basename(p))
    return describe(strip)


def _new_effect(name: str, kind: str, channel: int, frame_start: int, frame_end: int,
                inputs: list[Any]) -> Any:
    strips = top_strips(editor(create=True))
    params = {p.identifier for p in strips.bl_rna.functions["new_effect"].parameters}
    prefix = "input" if "input1" in params else "seq"
    kwargs = {f"{prefix}{i + 1}": s for i, s in enumerate(inputs)}
    if "frame_end" in params and not inputs:  # 4.4+ derives the length from inputs
        kwargs["frame_end"] = frame_end
    elif "length" in params and not inputs:
        kwargs["length"] = frame_end - frame_start
    return strips.new_effect(name, kind, channel, frame_start, **kwargs)


@command("sequencer.add_effect", name=arg(str, **NAME), type=arg(str, choices=EFFECTS),
         channel=arg(int, **CHANNELS), frame_start=arg(int, **FRAME), frame_end=arg(int,
         default=None, **FRAME),
         inputs=arg(list, default=[], items=str), properties=arg(dict, default=None))
@about(STRIP, errors=("NOT_FOUND",))
def add_effect(name: str, type: str, channel: int, frame_start: int, frame_end, inputs: list,
               properties) -> dict[str, Any]:
    """An effect strip; CROSS and the other blends take two ``inputs`` (strip names),
    GLOW/TRANSFORM/SPEED/blur one, COLOR/TEXT/ADJUSTMENT none (they need ``frame_end``)."""
    need = 2 if type in TWO_INPUTS else 1 if type in ONE_INPUT else 0
    if len(inputs) != need:
        raise invalid(f"a {type} strip takes {need} input strip(s)", arg="inputs")
    sources = [get_strip(n) for n in inputs]
    if not sources and (frame_end is None or frame_end <= frame_start):
        raise invalid("frame_end must be after frame_start", arg="frame_end")
    strip = _new_effect(name, type, channel, frame_start, frame_end or frame_start + 1, sources)
    if properties:
        try:
            rna.assign(strip, properties)
        except Exception:
            top_strips(editor()).remove(strip)  # nothing half-made stays behind
            raise
    return describe(strip)


@command("sequencer.add_text", name=arg(str, **NAME), text=arg(str), channel=arg(int, **CHANNELS),
         frame_start=arg(int, **FRAME), frame_end=arg(int, **FRAME), font_size=arg(float,
         default=None),
         color=arg(list, default=None, length=4), location=arg(list, default=None, length=2))
@about(STRIP)
def add_text(name: str, text: str, channel: int, frame_start: int, frame_end: int, font_size,
             color, location) -> dict[str, Any]:
    if frame_end <= frame_start:
        raise invalid("frame_end must be after frame_start", arg="frame_end")
    if font_size is not None and font_size <= 0:
        raise invalid("font_size must be positive", arg="font_size")
    strip = _new_effect(name, "TEXT", channel, frame_start, frame_end, [])
    try:
        strip.text = text
        if font_size is not None:
            strip.font_size = font_size
        if color is not None:
            strip.color = color
        if location is not None:
            strip.location = location
    except Exception:
        top_strips(editor()).remove(strip)  # nothing half-made stays behind
        raise
    return describe(strip)


@command("sequencer.strip_get", name=arg(str, **NAME), properties=arg(list, default=None,
         items=str))
@about(STRIP,
       errors=("NOT_FOUND",))
def strip_get(name: str, properties) -> dict[str, Any]:
    strip = get_strip(name)
    out = describe(strip)
    if properties:
        out["properties"] = rna.read(strip, properties)
    return out


@command("sequencer.strip_set", name=arg(str, **NAME), properties=arg(dict))
@about(STRIP, errors=("NOT_FOUND", "FORBIDDEN"))
def strip_set(name: str, properties: dict) -> dict[str, Any]:
    """Sets any strip properties ({path: value}), all checked before any is applied."""
    strip = get_strip(name)
    rna.assign(strip, properties)
    return describe(strip)


@command("sequencer.delete", names=arg(list, items=str))
@about("{deleted: [name]}", errors=("NOT_FOUND",))
def delete(names: list) -> dict[str, Any]:
    """Deletes strips (all exist, or nothing is deleted)."""
    strips = [get_strip(n) for n in names]
    collection = top_strips(editor())
    for s in strips:
        collection.remove(s)
    return {"deleted": list(names)}
