"""io.*: import and export files through the operators this Blender ships.

Which operator does a format, and which of its options mean "selected objects only" or
"apply modifiers", differ between versions (3.4's OBJ/PLY/STL add-ons, 4.x+'s ``wm.*``
operators; USD and Alembic only where Blender was built with them): ``FORMATS`` and the
option names below are the one place that knows. ``session.hello`` lists the formats
(``io``). Paths obey the path rule (paths.py); an import that fails removes everything
it had created. The operators need no context override: under ``blender -b``, in a bpy
module and in the UI's timers (which have a window) the server's context serves them.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from typing import Any

import bpy

from .. import paths
from ..registry import CommandError, about, arg, command, echo, invalid, not_found

# format -> (import operators, export operators, file extensions), preferred first.
FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "GLTF": (("import_scene.gltf",), ("export_scene.gltf",), (".glb", ".gltf")),
    "OBJ": (("wm.obj_import", "import_scene.obj"), ("wm.obj_export", "export_scene.obj"),
            (".obj",)),
    "FBX": (("import_scene.fbx",), ("export_scene.fbx",), (".fbx",)),
    "PLY": (("wm.ply_import", "import_mesh.ply"), ("wm.ply_export", "export_mesh.ply"),
            (".ply",)),
    "STL": (("wm.stl_import", "import_mesh.stl"), ("wm.stl_export", "export_mesh.stl"),
            (".stl",)),
    "USD": (("wm.usd_import",), ("wm.usd_export",), (".usd", ".usda", ".usdc", ".usdz")),
    "ALEMBIC": (("wm.alembic_import",), ("wm.alembic_export",), (".abc",)),
}
# An exporter's option for "only the selected objects", and for "apply modifiers".
SELECTION_OPTIONS = ("use_selection", "export_selected_objects", "selected_objects_only",
                     "selected")
MODIFIER_OPTIONS = ("export_apply", "apply_modifiers", "use_mesh_modifiers")
SCALE_OPTIONS = ("global_scale", "scale")
SCALE = {"minimum": 1e-4, "maximum": 1e4}  # the narrowest operator's range (OBJ's)
# What an import may create, by bpy.data collection: removed again if it fails.
CREATED = ("objects", "meshes", "materials", "images", "textures", "node_groups", "cameras",
           "lights", "curves", "armatures", "actions", "collections", "worlds", "cache_files",
           "pointclouds", "volumes", "shape_keys")


def _operator(idname: str) -> Any:
    """``bpy.ops.<idname>`` if this Blender has it (an add-on's only while enabled)."""
    module, name = idname.split(".")
    op = getattr(getattr(bpy.ops, module), name)
    try:
        op.get_rna_type()
    except (KeyError, AttributeError):
        return None
    return op


def _operator_for(fmt: str, export: bool) -> Any:
    for idname in FORMATS[fmt][1 if export else 0]:
        op = _operator(idname)
        if op is not None:
            return op
    return None


def available() -> dict[str, list[str]]:
    """For ``session.hello``: the formats this Blender imports and exports."""
    return {"import": [f for f in FORMATS if _operator_for(f, False) is not None],
            "export": [f for f in FORMATS if _operator_for(f, True) is not None]}


def _format(fmt: str | None, path: str, export: bool) -> tuple[str, Any]:
    if fmt is None:
        ext = os.path.splitext(path)[1].lower()
        fmt = next((f for f, (_, _, exts) in FORMATS.items() if ext in exts), None)
        if fmt is None:
            raise invalid(f"no format for the extension {echo(ext)!r}; give format",
                          arg="format")
    op = _operator_for(fmt, export)
    if op is None:
        raise invalid(f"this Blender cannot {'export' if export else 'import'} {fmt}",
                      arg="format", format=fmt, available=available()[
                          "export" if export else "import"])
    return fmt, op


@contextlib.contextmanager
def _numpy_bool() -> Iterator[None]:
    """Blender 3.x's glTF importer uses ``numpy.bool``, gone from numpy 1.24 to 1.26 (and
    Debian pairs 3.4 with such a numpy): the alias exists only during the import."""
    try:
        import numpy
    except ImportError:
        yield
        return
    missing = "bool" not in numpy.__dict__
    if missing:
        numpy.bool = numpy.bool_  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if missing:
            del numpy.bool  # type: ignore[attr-defined]


def _option(op: Any, fmt: str, arg_name: str, names: tuple[str, ...], value: Any,
            kwargs: dict[str, Any]) -> None:
    """Sets the operator's own option for ``arg_name`` (the first of ``names`` it has);
    ``INVALID_ARGUMENT`` if it has none."""
    props = op.get_rna_type().properties
    option = next((o for o in names if o in props), None)
    if option is None:
        raise invalid(f"the {fmt} operator has no option for {arg_name}", arg=arg_name,
                      format=fmt)
    kwargs[option] = value


def _ids() -> dict[str, set[Any]]:
    return {k: set(getattr(bpy.data, k)) for k in CREATED if hasattr(bpy.data, k)}


def _reason(e: Exception) -> str:
    """What an operator's exception says: the last ``...Error: ...`` line of the
    traceback Blender wraps into it, else its first line."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    named = [ln for ln in lines if re.match(r"^(\w+(Error|Exception)|Error):", ln)
             and not ln.startswith("Error: Python: Traceback")]
    return named[-1] if named else (lines[0] if lines else type(e).__name__)


def _blender_refused(e: Exception, fmt: str, path: str) -> CommandError:
    reason = _reason(e)
    return invalid(f"Blender could not read {echo(path)!r} as {fmt}: {echo(reason)}",
                   arg="path", format=fmt, reason=echo(reason))


@command("io.import", path=arg(str), format=arg(str, default=None, choices=tuple(FORMATS)),
         merge_vertices=arg(bool, default=None), scale=arg(float, default=None, **SCALE))
@about("{format, path, created: {objects: [name], meshes: [name], materials: [name], …}}",
       errors=("FORBIDDEN", "NOT_FOUND"))
def import_(path: str, format, merge_vertices, scale) -> dict[str, Any]:
    """Imports a file from an allowed directory (§7.2) with this Blender's importer;
    ``format`` defaults to the one the extension names. ``merge_vertices`` joins vertices
    at the same place (glTF stores one per corner where normals or UVs differ); ``scale``
    scales what is read; a format without such an option refuses it. ``created`` names
    every data-block it made, by kind (bpy.data's collection names). A file Blender
    cannot read is ``INVALID_ARGUMENT`` and leaves nothing behind."""
    real = paths.readable(path)
    fmt, op = _format(format, real, export=False)
    kwargs: dict[str, Any] = {"filepath": real}
    if merge_vertices is not None:
        _option(op, fmt, "merge_vertices", ("merge_vertices",), merge_vertices, kwargs)
    if scale is not None:
        _option(op, fmt, "scale", SCALE_OPTIONS, scale, kwargs)
    before = _ids()
    view_layer = bpy.context.view_layer
    view_layer.update()  # its object list follows the collections lazily
    selected = [o for o in view_layer.objects if o.select_get()]
    active = view_layer.objects.active
    try:
        with _numpy_bool():
            result = op(**kwargs)
        if "FINISHED" not in result:
            raise RuntimeError(f"the importer answered {sorted(result)}")
    except Exception as e:  # noqa: BLE001 - whatever the importer raises: undo, refuse
        _remove_new(before)
        for o in view_layer.objects:  # importers deselect everything first
            o.select_set(o in selected)
        view_layer.objects.active = active
        raise _blender_refused(e, fmt, path) from None
    created = {k: sorted(i.name for i in set(getattr(bpy.data, k)) - old)
               for k, old in before.items()}
    return {"format": fmt, "path": real, "created": {k: v for k, v in created.items() if v}}


def _remove_new(before: dict[str, set[Any]]) -> None:
    new = [i for k, old in before.items() for i in set(getattr(bpy.data, k)) - old]
    if new:
        bpy.data.batch_remove(new)


@command("io.export", path=arg(str), format=arg(str, default=None, choices=tuple(FORMATS)),
         objects=arg(list, default=None, items=str), apply_modifiers=arg(bool, default=None),
         scale=arg(float, default=None, **SCALE))
@about("{format, path, objects: [name]}", errors=("FORBIDDEN", "NOT_FOUND"))
def export(path: str, format, objects, apply_modifiers, scale) -> dict[str, Any]:
    """Exports the scene's objects (only ``objects`` if given) to a file in an allowed
    directory (§7.2); ``format`` defaults to the one the extension names (``.glb`` is
    binary glTF, ``.gltf`` glTF with separate files). ``apply_modifiers`` defaults to the
    exporter's own default, ``scale`` scales what is written; a format without such an
    option refuses it."""
    real = paths.writable(path)
    fmt, op = _format(format, real, export=True)
    kwargs: dict[str, Any] = {"filepath": real}
    if apply_modifiers is not None:
        _option(op, fmt, "apply_modifiers", MODIFIER_OPTIONS, apply_modifiers, kwargs)
    if scale is not None:
        _option(op, fmt, "scale", SCALE_OPTIONS, scale, kwargs)
    if fmt == "GLTF":
        kwargs["export_format"] = "GLB" if real.lower().endswith(".glb") else "GLTF_SEPARATE"
    view_layer = bpy.context.view_layer
    view_layer.update()  # its object list follows the collections lazily
    chosen = None
    if objects is not None:
        chosen = []
        for name in objects:
            obj = bpy.data.objects.get(name)
            if obj is None:
                raise not_found("object", name)
            if view_layer.objects.get(obj.name) is None:
                raise invalid(f"{name} is not in the view layer", arg="objects", name=name)
            chosen.append(obj)
        _option(op, fmt, "objects", SELECTION_OPTIONS, True, kwargs)
    exported = chosen if chosen is not None else list(view_layer.objects)
    was = [o for o in view_layer.objects if o.select_get()]
    try:
        if chosen is not None:
            for o in view_layer.objects:
                o.select_set(o in chosen)
        result = op(**kwargs)
    except Exception as e:  # noqa: BLE001 - the exporter's failure, reported as such
        raise invalid(f"the {fmt} exporter failed: {echo(_reason(e))}", format=fmt,
                      reason=echo(_reason(e))) from None
    finally:
        if chosen is not None:
            for o in view_layer.objects:
                o.select_set(o in was)
    if "FINISHED" not in result:
        raise invalid(f"the {fmt} exporter answered {sorted(result)}", format=fmt)
    return {"format": fmt, "path": real, "objects": [o.name for o in exported]}
