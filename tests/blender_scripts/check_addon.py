"""Runs inside ``blender -b``: the add-on shim (python/nngbridge/blender/addon) installed as
``scripts/addons/nngbridge_addon`` enables, shows preferences keyed by its module name,
starts and stops the server from its operator, and disables cleanly.

    BLENDER_USER_SCRIPTS=... blender -b --factory-startup --python check_addon.py -- ADDRESS

With ``-- ADDRESS EXTENSION_ZIP`` (Blender 4.2+, e.g. a PyPI ``bpy`` wheel's Python with
BLENDER_USER_RESOURCES set) the add-on is the extension package built from
``blender_manifest.toml``: Blender installs it and the nngbridge wheel inside it, and it
runs as ``bl_ext.user_default.nngbridge``.
"""

from __future__ import annotations

import os
import sys

import bpy  # first: a bpy module puts Blender's scripts/modules on sys.path
import addon_utils  # noqa: I001

ARGS = sys.argv[sys.argv.index("--") + 1:]
ADDRESS = ARGS[0]
EXTENSION = ARGS[1] if len(ARGS) > 1 else None

if EXTENSION:
    MODULE = "bl_ext.user_default.nngbridge"
    assert "nngbridge" not in sys.modules
    done = bpy.ops.extensions.package_install_files(
        filepath=EXTENSION, repo="user_default", enable_on_install=True)
    assert done == {"FINISHED"}, done
else:
    MODULE = "nngbridge_addon"
    addon_utils.enable(MODULE, default_set=True, handle_error=None)
entry = bpy.context.preferences.addons.get(MODULE)
assert entry is not None, "the add-on did not enable"

import nngbridge  # noqa: E402 - an extension brings it along
from nngbridge import blender as nb  # noqa: E402

if EXTENSION:  # the copy Blender installed from the package's wheels/
    local = os.path.join(bpy.utils.user_resource("EXTENSIONS"), ".local")
    assert nngbridge.__file__.startswith(local), (nngbridge.__file__, local)
    print("EXTENSION INSTALLED", nngbridge.__file__, flush=True)
prefs = entry.preferences
assert prefs.address == "tcp://127.0.0.1:5555" and not prefs.allow_exec and not prefs.auto_start
assert nb.status() == "nngbridge: stopped"
print("ENABLED", flush=True)

prefs.address, prefs.events, prefs.token = ADDRESS, "", "tok"
assert bpy.ops.nngbridge.toggle() == {"FINISHED"}
assert nb._server is not None and nb._server.address == ADDRESS
with nngbridge.Req0(dial=ADDRESS, recv_timeout=5000) as req:
    req.send(nngbridge.packb({"v": 1, "id": 1, "cmd": "session.ping", "token": "tok"}))
    while True:  # no timers under -b: pump by hand until the reply arrives
        nb._server.pump(budget_ms=5, linger_ms=5)
        try:
            reply = nngbridge.unpackb(req.recv(block=False))
            break
        except nngbridge.TryAgain:
            continue
assert reply["result"] == "pong", reply
assert nb.status().endswith("1 request(s) served"), nb.status()
print("SERVED", nb.status(), flush=True)
assert bpy.ops.nngbridge.toggle() == {"FINISHED"}
assert nb._server is None

prefs.address = "tcp://10.1.2.3:5555"  # not loopback: refused, reported, nothing started
try:
    bpy.ops.nngbridge.toggle()
except RuntimeError as e:
    assert "loopback" in str(e), e
assert nb._server is None
print("REFUSED REMOTE", flush=True)

addon_utils.disable(MODULE, default_set=True, handle_error=None)
assert bpy.context.preferences.addons.get(MODULE) is None
assert not hasattr(bpy.types, "NNGBRIDGE_OT_toggle")
print("ADDON CHECKED", flush=True)
