"""Add-on preferences: address, events address, token, auto-start, the exec switch, and a
status line."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, StringProperty

PACKAGE = __package__ or "nngbridge.blender"


class NNGBRIDGE_OT_toggle(bpy.types.Operator):
    """Start or stop the nngbridge server"""

    bl_idname = "nngbridge.toggle"
    bl_label = "Start/Stop nngbridge"

    def execute(self, context):
        from . import _server, start, stop

        prefs = context.preferences.addons[PACKAGE].preferences
        if _server is None:
            start(prefs.address, events=prefs.events or None, token=prefs.token or None,
                  allow_exec=prefs.allow_exec)
        else:
            stop()
        return {"FINISHED"}


class NNGBridgePreferences(bpy.types.AddonPreferences):
    bl_idname = PACKAGE

    address: StringProperty(name="Address", default="tcp://127.0.0.1:5555")
    events: StringProperty(name="Events address", default="tcp://127.0.0.1:5556")
    token: StringProperty(name="Token", subtype="PASSWORD", default="")
    auto_start: BoolProperty(name="Start with Blender", default=False)
    allow_exec: BoolProperty(
        name="Allow running Python code (exec)",
        description="Lets clients run arbitrary Python in Blender; off by default",
        default=False,
    )

    def draw(self, context):
        from . import status

        layout = self.layout
        for prop in ("address", "events", "token", "auto_start", "allow_exec"):
            layout.prop(self, prop)
        row = layout.row()
        row.label(text=status())
        row.operator(NNGBRIDGE_OT_toggle.bl_idname)


CLASSES = (NNGBRIDGE_OT_toggle, NNGBridgePreferences)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    prefs = bpy.context.preferences.addons.get(PACKAGE)
    if prefs is not None and prefs.preferences.auto_start:
        from . import start

        p = prefs.preferences
        start(p.address, events=p.events or None, token=p.token or None,
              allow_exec=p.allow_exec)


def unregister() -> None:
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
