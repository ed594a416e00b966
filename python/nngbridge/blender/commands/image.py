"""image.*: load, new, pixels get/set as float32 arrays, save, mean colour.

Pixels go from ``foreach_get`` straight into the body of the reply's NNG message where the
wheel and numpy allow it (cp311: a writable ``Message.alloc`` seen through a numpy float32
view; see ``Floats`` and ``server.Server.reply``), otherwise into a reused float32 buffer
that is packed as ``bin`` (no Python lists either way); and back with ``foreach_set`` from a
float view of the received bytes.
"""

from __future__ import annotations

import array
import os
from typing import Any

import bpy

from .. import paths
from ..registry import (NAME, about, arg, check_memory, command, invalid, not_found,
                        reserve_reply)

MAX_SIDE = 65536  # pixels of an image's side (Blender's own limit)


def get_image(name: str) -> bpy.types.Image:
    img = bpy.data.images.get(name)
    if img is None:
        raise not_found("image", name)
    return img


_scratch: dict[str, Any] = {}


def float_buffer(count: int) -> Any:
    """A float32 buffer of ``count`` items for foreach_get, reused between calls: fresh
    memory costs page faults (~80 ms for a 1080p RGBA float image here), the copy itself
    a few ms. A reply is packed before the next command runs, except inside a batch,
    which gets fresh buffers."""
    from .session import STATE

    buf = None if STATE.get("in_batch") else _scratch.get("f4")
    if buf is None or len(buf) != count:
        try:
            import numpy

            buf = numpy.empty(count, dtype=numpy.float32)
        except ImportError:
            buf = array.array("f", [0.0]) * count
        if not STATE.get("in_batch"):
            _scratch["f4"] = buf
    return buf


class Floats:
    """``count`` float32 values that ``fill(buffer)`` writes (``foreach_get``), produced
    when the reply is sent: straight into the outgoing message when the reply is sent on
    its own (``server.Server.reply``), into a float buffer anywhere else."""

    __slots__ = ("count", "fill")

    def __init__(self, count: int, fill: Any) -> None:
        self.count = count
        self.fill = fill

    @property
    def nbytes(self) -> int:
        return 4 * self.count

    def materialize(self) -> Any:
        buf = float_buffer(self.count)
        self.fill(buf)
        return buf


def floats(count: int, fill: Any) -> Any:
    """A command's float32 payload: deferred (see ``Floats``) unless inside a batch, whose
    results are packed together at its end."""
    from .session import STATE

    deferred = Floats(count, fill)
    return deferred.materialize() if STATE.get("in_batch") else deferred


def shape(img: bpy.types.Image) -> list[int]:
    w, h = img.size
    return [h, w, img.channels]


def pixel_payload(img: bpy.types.Image, what: str) -> int:
    """The float count of ``img``'s pixels, once a buffer and a reply of them are known to
    fit the memory budget and the reply size (checked before any is made)."""
    h, w, c = shape(img)
    nbytes = 4 * w * h * c
    check_memory(nbytes, what)
    reserve_reply(nbytes)
    return w * h * c


@command("image.list")
@about("{images: [{name, size, channels, source, path}]}")
def list_() -> dict[str, Any]:
    return {"images": [{"name": i.name, "size": list(i.size), "channels": i.channels,
                        "source": i.source, "path": i.filepath}
                       for i in bpy.data.images if not i.name.startswith(".")]}


@command("image.new", name=arg(str, **NAME), width=arg(int, minimum=1, maximum=MAX_SIDE),
         height=arg(int, minimum=1, maximum=MAX_SIDE), color=arg(list, default=None, length=4),
         float_buffer=arg(bool, default=True))
@about("{name, size, channels}", errors=("TOO_LARGE",))
def new(name: str, width: int, height: int, color, float_buffer: bool) -> dict[str, Any]:
    """A generated image; its RGBA buffer (16 bytes a pixel in float, 4 in bytes) must fit
    the memory budget."""
    check_memory(width * height * (16 if float_buffer else 4), f"a {width}x{height} image")
    img = bpy.data.images.new(name, width, height, alpha=True, float_buffer=float_buffer)
    if color is not None:
        img.generated_color = color
    return {"name": img.name, "size": [width, height], "channels": img.channels}


@command("image.load", path=arg(str), name=arg(str, default=None, **NAME))
@about("{name, size, channels}", errors=("FORBIDDEN", "NOT_FOUND"))
def load(path: str, name) -> dict[str, Any]:
    """Loads an image file from an allowed directory (docs/protocol.md §7.2)."""
    img = bpy.data.images.load(paths.readable(path), check_existing=False)
    if name:
        img.name = name
    return {"name": img.name, "size": list(img.size), "channels": img.channels}


@command("image.pixels_get", name=arg(str, **NAME))
@about("array f4 [h, w, c]", errors=("NOT_FOUND", "TOO_LARGE"))
def pixels_get(name: str) -> dict[str, Any]:
    """``TOO_LARGE`` if the pixels would not fit a reply (or a batch's)."""
    img = get_image(name)
    count = pixel_payload(img, f"the pixels of {img.name}")
    return {"dtype": "f4", "shape": shape(img), "data": floats(count, img.pixels.foreach_get)}


@command("image.pixels_set", name=arg(str, **NAME), pixels=arg(dict))
@about("{name}", errors=("NOT_FOUND",))
def pixels_set(name: str, pixels: dict) -> dict[str, Any]:
    img = get_image(name)
    if pixels.get("dtype") != "f4" or not isinstance(pixels.get("data"), bytes):
        raise invalid("pixels must be {dtype: 'f4', shape, data: bin}", arg="pixels")
    want = shape(img)
    if list(pixels.get("shape", [])) != want or len(pixels["data"]) != 4 * len(img.pixels):
        raise invalid(f"pixels must have shape {want}", arg="pixels", shape=want)
    # A float view of the received bytes: foreach_set reads it without another copy.
    img.pixels.foreach_set(memoryview(pixels["data"]).cast("f"))
    img.update()
    return {"name": img.name}


FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "exr": "OPEN_EXR", "tif": "TIFF",
           "tiff": "TIFF", "bmp": "BMP", "tga": "TARGA", "hdr": "HDR", "webp": "WEBP"}


@command("image.save", name=arg(str, **NAME), path=arg(str, default=None),
         format=arg(str, default=None, choices=tuple(sorted(set(FORMATS.values())))))
@about("{path, format}", errors=("FORBIDDEN", "NOT_FOUND"))
def save(name: str, path, format) -> dict[str, Any]:
    """Saves to ``path`` (default: the image's own), in ``format`` (default: from the
    path's extension); the target must be inside an allowed directory (§7.2)."""
    img = get_image(name)
    given = path or img.filepath_raw
    if not given:
        raise invalid("the image has no path; give one", arg="path")
    target = paths.writable(given)
    if format is None:
        ext = os.path.splitext(target)[1].lstrip(".").lower()
        format = FORMATS.get(ext, img.file_format or "PNG")
    img.filepath_raw = target
    img.file_format = format
    img.save()
    return {"path": bpy.path.abspath(img.filepath_raw), "format": format}


@command("image.mean_color", name=arg(str, **NAME))
@about("{color: [per channel]}", errors=("NOT_FOUND", "TOO_LARGE"))
def mean_color(name: str) -> dict[str, Any]:
    img = get_image(name)
    h, w, c = shape(img)
    check_memory(4 * w * h * c, f"the pixels of {img.name}")
    buf = float_buffer(len(img.pixels))
    img.pixels.foreach_get(buf)
    c = img.channels
    if hasattr(buf, "reshape"):
        return {"color": [float(v) for v in buf.reshape(-1, c).mean(axis=0)]}
    n = max(1, len(buf) // c)
    return {"color": [sum(buf[i::c]) / n for i in range(c)]}
