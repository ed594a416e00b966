"""viewport.capture, render.opengl, image.preview: pictures as float32 RGBA arrays.

The 3D viewport and the camera's viewport render are drawn into a ``gpu`` offscreen
buffer (``draw_view3d`` of a 3D view's space and region, with its own or the camera's
matrices) and read back as floats, rows bottom-up as in ``image.pixels``; they go into the
reply through ``image.floats`` like every pixel array. Without a GPU context (``blender -b``
with no GPU backend) both are withdrawn: an ``UNKNOWN_COMMAND`` saying why, absent from
``session.hello``, as for any command this Blender cannot do. An ID's preview comes from
``preview_ensure()``.
"""

from __future__ import annotations

from typing import Any

import bpy

from ..registry import (NAME, CommandError, about, arg, check_memory, command, not_found,
                        reserve_reply, withdraw)
from .image import MAX_SIDE, floats


def _gpu_reason() -> str | None:
    """Why this Blender cannot draw offscreen, or None if it can."""
    try:
        import gpu
    except ImportError:  # not Blender: the catalogue's stand-in bpy
        return None
    if not bpy.app.background:
        return None
    try:
        gpu.types.GPUOffScreen(1, 1).free()
    except Exception as e:  # SystemError in background mode without a GPU backend
        return f"Blender {bpy.app.version_string} has no GPU context here ({e})"
    return None


def _view3d(area_index: Any) -> tuple[Any, Any, Any]:
    """(area, space, WINDOW region) of the ``area_index``-th 3D viewport (default: the
    largest) of the first window that has one."""
    areas = [a for w in bpy.context.window_manager.windows for a in w.screen.areas
             if a.type == "VIEW_3D"]
    if area_index is not None:
        areas = areas[area_index:area_index + 1]
    if not areas:
        raise not_found("3D viewport", "any" if area_index is None else area_index)
    area = max(areas, key=lambda a: a.width * a.height)
    region = next(r for r in area.regions if r.type == "WINDOW")
    return area, area.spaces.active, region


def _budget(width: int, height: int, what: str) -> int:
    nbytes = 4 * 4 * width * height
    check_memory(nbytes, what)
    reserve_reply(nbytes)
    return 4 * width * height


def _draw(width: int, height: int, view: Any, projection: Any, area_index: Any,
          what: str) -> dict[str, Any]:
    """The 3D view drawn offscreen at ``width`` x ``height`` with the matrices given
    (None: the view's own), as ``array f4 [h, w, 4]``."""
    import gpu

    _, space, region = _view3d(area_index)
    r3d = space.region_3d
    count = _budget(width, height, what)
    scene = bpy.context.scene
    offscreen = gpu.types.GPUOffScreen(width, height)
    try:
        with offscreen.bind():
            offscreen.draw_view3d(scene, bpy.context.view_layer, space, region,
                                  r3d.view_matrix if view is None else view,
                                  r3d.window_matrix if projection is None else projection,
                                  do_color_management=True)
            pixels = gpu.state.active_framebuffer_get().read_color(
                0, 0, width, height, 4, 0, "FLOAT")
    finally:
        offscreen.free()
    data = memoryview(pixels).tobytes()  # its view is not marked C-contiguous: no cast

    def fill(out: Any) -> None:
        memoryview(out).cast("B")[:] = data

    return {"dtype": "f4", "shape": [height, width, 4], "data": floats(count, fill)}


@command("viewport.capture", area=arg(int, default=None, minimum=0),
         width=arg(int, default=None, minimum=1, maximum=MAX_SIDE),
         height=arg(int, default=None, minimum=1, maximum=MAX_SIDE))
@about("array f4 [h, w, 4]", errors=("NOT_FOUND", "TOO_LARGE"))
def capture(area, width, height) -> dict[str, Any]:
    """The 3D viewport as its user sees it (without overlays), RGBA rows bottom-up, at its
    region's size unless ``width``/``height`` are given; ``area``: which 3D viewport
    (default: the largest). Needs a GPU context (the GUI)."""
    _, _, region = _view3d(area)
    w, h = width or region.width, height or region.height
    return _draw(w, h, None, None, area, f"a {w}x{h} viewport capture")


@command("render.opengl", width=arg(int, default=None, minimum=1, maximum=MAX_SIDE),
         height=arg(int, default=None, minimum=1, maximum=MAX_SIDE))
@about("array f4 [h, w, 4]", errors=("NOT_FOUND", "TOO_LARGE"))
def opengl(width, height) -> dict[str, Any]:
    """A viewport render through the scene camera (the viewport's shading), RGBA rows
    bottom-up, at the scene's output size unless ``width``/``height`` are given. Needs a
    GPU context and a 3D viewport to draw with."""
    scene = bpy.context.scene
    camera = scene.camera
    if camera is None:
        raise not_found("scene camera", scene.name)
    r = scene.render
    w = width or max(1, r.resolution_x * r.resolution_percentage // 100)
    h = height or max(1, r.resolution_y * r.resolution_percentage // 100)
    projection = camera.calc_matrix_camera(bpy.context.evaluated_depsgraph_get(), x=w, y=h,
                                           scale_x=r.pixel_aspect_x, scale_y=r.pixel_aspect_y)
    return _draw(w, h, camera.matrix_world.inverted(), projection, None,
                 f"a {w}x{h} viewport render")


PREVIEW_KINDS = {"OBJECT": "objects", "MATERIAL": "materials", "IMAGE": "images",
                 "WORLD": "worlds", "TEXTURE": "textures", "COLLECTION": "collections",
                 "SCENE": "scenes", "MESH": "meshes", "LIGHT": "lights", "ACTION": "actions",
                 "NODE_TREE": "node_groups"}


def _previews_rendering() -> bool:
    """Whether a preview job runs (a preview then may have its size but not its pixels)."""
    running = getattr(bpy.app, "is_job_running", None)  # 3.3+
    return bool(running and not bpy.app.background and running("RENDER_PREVIEW"))


@command("image.preview", kind=arg(str, choices=tuple(sorted(PREVIEW_KINDS))),
         name=arg(str, **NAME))
@about("array f4 [h, w, 4]", errors=("NOT_FOUND", "BUSY", "TOO_LARGE"))
def preview(kind: str, name: str) -> dict[str, Any]:
    """An ID's preview picture (what the asset and material lists show), RGBA rows
    bottom-up; ``BUSY`` while the UI has not made it (it does when it shows the ID's icon;
    asking it to here, ``asset_generate_preview``, crashed 3.4.1 with Cycles as the
    engine); ``NOT_FOUND`` in background Blender, where nothing makes one."""
    idb = getattr(bpy.data, PREVIEW_KINDS[kind]).get(name)
    if idb is None:
        raise not_found(kind.lower(), name)
    prev = idb.preview_ensure()
    w, h = prev.image_size
    if not w or not h or _previews_rendering():
        if bpy.app.background:  # previews are made by UI jobs: only a saved one is here
            raise CommandError("NOT_FOUND", f"{kind.lower()} {name!r} has no preview, and "
                               "Blender in background makes none",
                               {"kind": "preview", "name": name})
        raise CommandError("BUSY", f"the preview of {kind.lower()} {name!r} is not made yet")
    count = _budget(w, h, f"the {w}x{h} preview of {name}")
    return {"dtype": "f4", "shape": [h, w, 4],
            "data": floats(count, prev.image_pixels_float.foreach_get)}


_reason = _gpu_reason()
if _reason is not None:
    withdraw("viewport.capture", _reason)
    withdraw("render.opengl", _reason)
