"""Add-on preferences (address, events address, token, auto-start, the exec switch, TLS
certificate paths), a start/stop operator, and a status line in Blender's status bar."""

from __future__ import annotations

from typing import Any

import bpy
from bpy.app.handlers import persistent
from bpy.props import BoolProperty, IntProperty, StringProperty

from . import registry

# The add-on's module name as Blender knows it (legacy add-on or bl_ext.* extension):
# preferences are keyed by it, so the shim passes it to register().
_addon = {"name": "nngbridge_addon"}


def prefs(context: Any = None) -> Any:
    context = context or bpy.context
    entry = context.preferences.addons.get(_addon["name"])
    return entry.preferences if entry is not None else None


def start_from_prefs(p: Any) -> None:
    import os

    from . import start

    allowed = [d.strip() for d in p.allowed_dirs.split(os.pathsep) if d.strip()]
    # The folder picker may give a //-relative path: that is relative to the .blend.
    work_dir = bpy.path.abspath(p.work_dir) if p.work_dir else None
    tls: dict[str, Any] | None = None
    if p.join and p.tls_ca:  # a worker dials: the pool's CA, and its own certificate
        tls = {"ca": bpy.path.abspath(p.tls_ca),
               "cert": bpy.path.abspath(p.tls_cert) if p.tls_cert else None,
               "key": bpy.path.abspath(p.tls_key) if p.tls_key else None}
    elif p.tls_cert and not p.join:
        tls = {"cert": bpy.path.abspath(p.tls_cert),
               "key": bpy.path.abspath(p.tls_key) if p.tls_key else None,
               "ca": bpy.path.abspath(p.tls_ca) if p.tls_ca else None,
               "require_client_cert": p.tls_require_client_cert}
    start(p.address, events=p.events or None, token=p.token or None,
          join=p.join or None, worker_id=p.worker_id or None,
          insecure_no_token=p.insecure_no_token, work_dir=work_dir,
          allowed_dirs=allowed,
          allow_exec=p.allow_exec, allow_remote=p.allow_remote, tls=tls,
          max_message=p.max_message_mib << 20, memory_budget=p.memory_budget_mib << 20,
          max_job_frames=p.max_job_frames)


class NNGBRIDGE_OT_toggle(bpy.types.Operator):
    """Start or stop the nngbridge server"""

    bl_idname = "nngbridge.toggle"
    bl_label = "Start/Stop nngbridge"

    def execute(self, context):
        from . import _server, stop

        p = prefs(context)
        if _server is not None:
            stop()
        elif p is None:
            self.report({"ERROR"}, "nngbridge preferences are missing")
            return {"CANCELLED"}
        else:
            try:
                start_from_prefs(p)
            except Exception as e:  # noqa: BLE001 - shown to the user, not raised
                self.report({"ERROR"}, f"nngbridge: {e}")
                return {"CANCELLED"}
        return {"FINISHED"}


class NNGBridgePreferences(bpy.types.AddonPreferences):
    bl_idname = _addon["name"]

    address: StringProperty(name="Address", default="tcp://127.0.0.1:5555")
    events: StringProperty(name="Events address", default="tcp://127.0.0.1:5556")
    token: StringProperty(
        name="Token", subtype="PASSWORD", default="",
        description="Empty: a new token each start, in a file only you can read, which "
                    "local clients (nngbridge call, SceneClient) find by themselves",
    )
    insecure_no_token: BoolProperty(
        name="Serve without a token (insecure)",
        description="Any local user or process can drive Blender; off by default",
        default=False,
    )
    work_dir: StringProperty(
        name="Work directory", subtype="DIR_PATH", default="",
        description="Where relative paths go; empty: a per-address folder in ~/.cache/nngbridge",
    )
    allowed_dirs: StringProperty(
        name="Allowed directories",
        description="Folders (besides the work directory) that commands may read and write, "
                    "separated by the path separator; // is the open .blend's folder",
        default="//",
    )
    join: StringProperty(
        name="Join a pool", default="",
        description="A pool's work address (docs/pool.md): dial it as a worker instead of "
                    "listening on the address above; needs the pool's token. With TLS "
                    "(tls+tcp://) the CA below is the pool's, the certificate this worker's",
    )
    worker_id: StringProperty(name="Worker id", default="",
                              description="This worker's name in the pool (default: host-pid)")
    auto_start: BoolProperty(name="Start with Blender", default=False)
    allow_exec: BoolProperty(
        name="Allow running Python code (exec)",
        description="Lets clients run arbitrary Python in Blender; off by default",
        default=False,
    )
    allow_remote: BoolProperty(
        name="Allow non-loopback addresses without TLS",
        description="Lets other machines connect in clear; prefer TLS (a tls+tcp:// "
                    "address and a certificate below)",
        default=False,
    )
    tls_cert: StringProperty(
        name="TLS certificate", subtype="FILE_PATH", default="",
        description="PEM file of the server's certificate (set: serve tls+tcp:// addresses)",
    )
    tls_key: StringProperty(
        name="TLS key", subtype="FILE_PATH", default="",
        description="PEM file of the certificate's private key (empty: in the certificate file)",
    )
    tls_ca: StringProperty(
        name="TLS client CA", subtype="FILE_PATH", default="",
        description="PEM file of the CA that signs client certificates",
    )
    tls_require_client_cert: BoolProperty(
        name="Require client certificates",
        description="Only clients with a certificate signed by the client CA may connect",
        default=False,
    )

    # Limits (docs/protocol.md §12); their defaults live in registry.
    max_message_mib: IntProperty(name="Largest message (MiB)", min=1, max=2047,
                                 default=registry.MAX_MESSAGE >> 20)
    memory_budget_mib: IntProperty(
        name="Memory budget per command (MiB)", min=1, max=1 << 20,
        description="The most one command may allocate (an image, pixels, a render)",
        default=registry.MEMORY_BUDGET >> 20)
    max_job_frames: IntProperty(name="Frames per job", min=1, max=2 * registry.MAX_FRAME + 1,
                                default=registry.MAX_JOB_FRAMES)

    def draw(self, context):
        from . import status

        layout = self.layout
        for prop in ("address", "events", "token", "insecure_no_token", "work_dir",
                     "allowed_dirs", "join", "worker_id", "auto_start", "allow_exec",
                     "allow_remote", "tls_cert",
                     "tls_key", "tls_ca", "tls_require_client_cert", "max_message_mib",
                     "memory_budget_mib", "max_job_frames"):
            layout.prop(self, prop)
        row = layout.row()
        row.label(text=status())
        row.operator(NNGBRIDGE_OT_toggle.bl_idname)


def draw_status(self: Any, context: Any) -> None:
    from . import _server, status

    if _server is not None:
        self.layout.label(text=status(), icon="LINKED")


@persistent
def _auto_start(*_: Any) -> None:
    from . import _server

    p = prefs()
    if _server is None and p is not None and p.auto_start:
        try:
            start_from_prefs(p)
        except Exception as e:  # noqa: BLE001 - a busy port must not break start-up
            print(f"nngbridge: auto-start failed: {e}", flush=True)


CLASSES = (NNGBRIDGE_OT_toggle, NNGBridgePreferences)


def register(addon_name: str | None = None) -> None:
    if addon_name:
        _addon["name"] = addon_name
        NNGBridgePreferences.bl_idname = addon_name
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.STATUSBAR_HT_header.append(draw_status)
    # Preferences are readable only once Blender has loaded them: start from a timer
    # (GUI) and again after a file load.
    bpy.app.handlers.load_post.append(_auto_start)
    bpy.app.timers.register(_auto_start, first_interval=0.1)


def unregister() -> None:
    if _auto_start in bpy.app.handlers.load_post:
        bpy.app.handlers.load_post.remove(_auto_start)
    if bpy.app.timers.is_registered(_auto_start):
        bpy.app.timers.unregister(_auto_start)
    bpy.types.STATUSBAR_HT_header.remove(draw_status)
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
