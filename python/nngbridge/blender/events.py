"""Scene events from ``bpy.app.handlers``, published by the running server."""

from __future__ import annotations

from typing import Any, Callable

import bpy
from bpy.app.handlers import persistent

_publish: Callable[[str, Any], None] | None = None
_last_selection: tuple[tuple[str, ...], str | None] | None = None


def publish(topic: str, data: Any) -> None:
    """Publishes an event if a server is attached (commands use it for changes no
    handler reports, such as custom properties)."""
    if _publish is not None:
        _publish(topic, data)



@persistent
def on_frame(scene: Any, *_: Any) -> None:
    publish("frame", {"scene": scene.name, "frame": scene.frame_current})


@persistent
def on_depsgraph(scene: Any, depsgraph: Any = None) -> None:
    global _last_selection
    if depsgraph is not None:
        updated = [u for u in depsgraph.updates if isinstance(u.id, bpy.types.Object)]
        if updated:
            publish("depsgraph", {
                "objects": [u.id.name for u in updated],
                "geometry": any(u.is_updated_geometry for u in updated),
                "transform": any(u.is_updated_transform for u in updated),
            })
    view_layer = bpy.context.view_layer
    active = view_layer.objects.active
    selection = (tuple(sorted(o.name for o in view_layer.objects if o.select_get())),
                 active.name if active else None)
    if selection != _last_selection:
        _last_selection = selection
        publish("selection", {"selected": list(selection[0]), "active": selection[1]})


@persistent
def on_load(*_: Any) -> None:
    publish("file", {"event": "load", "path": bpy.data.filepath})


@persistent
def on_save(*_: Any) -> None:
    publish("file", {"event": "save", "path": bpy.data.filepath})


HANDLERS = (
    ("frame_change_post", on_frame),
    ("depsgraph_update_post", on_depsgraph),
    ("load_post", on_load),
    ("save_post", on_save),
)


def attach(publish: Callable[[str, Any], None]) -> None:
    global _publish
    _publish = publish
    for name, func in HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        if func not in handlers:
            handlers.append(func)


def detach() -> None:
    global _publish
    _publish = None
    for name, func in HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        if func in handlers:
            handlers.remove(func)
