"""The nngbridge Blender add-on: serves the scene protocol (docs/protocol.md) from inside
Blender without blocking its UI.

* GUI: ``start(address, events=..., token=...)`` / ``stop()`` (a persistent timer pumps).
* ``blender -b``: ``serve(address, events=..., token=...)`` runs until ``session.shutdown``.
"""

from __future__ import annotations

from typing import Any

bl_info = {
    "name": "nngbridge",
    "author": "nngbridge developers",
    "version": (0, 1, 0),
    "blender": (2, 93, 0),
    "location": "Preferences > Add-ons > nngbridge",
    "description": "Drive Blender over NNG: a MessagePack scene-command server with events",
    "category": "System",
}

_server: Any = None
_interval = {"busy": 0.0, "idle": 0.05}


def _make_server(address: str, events: str | None, token: str | None, **kw: Any) -> Any:
    from . import commands  # noqa: F401 - registers the command table
    from . import events as scene_events
    from .server import Server

    server = Server(address, events=events, token=token, **kw)
    scene_events.attach(server.publish)
    return server


def _tick() -> float | None:
    if _server is None or not _server.running:
        stop()
        return None
    handled = _server.pump(budget_ms=4.0)
    return _interval["busy"] if handled else _interval["idle"]


def start(address: str = "tcp://127.0.0.1:5555", *, events: str | None = None,
          token: str | None = None, **kw: Any) -> Any:
    """Starts serving from a persistent timer (Blender's UI); returns the server."""
    import bpy

    global _server
    stop()
    _server = _make_server(address, events, token, **kw)
    bpy.app.timers.register(_tick, first_interval=0.0, persistent=True)
    print(f"nngbridge: serving {address}" + (f", events on {events}" if events else ""),
          flush=True)
    return _server


def stop() -> None:
    """Stops serving (GUI)."""
    import bpy

    from . import events as scene_events

    global _server
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
    scene_events.detach()
    if _server is not None:
        _server.close()
        _server = None


def serve(address: str = "tcp://127.0.0.1:5555", *, events: str | None = None,
          token: str | None = None, **kw: Any) -> int:
    """Serves on the main thread until ``session.shutdown`` (``blender -b``); returns the
    number of requests served."""
    from . import events as scene_events

    server = _make_server(address, events, token, **kw)
    print(f"nngbridge: serving {address}" + (f", events on {events}" if events else ""),
          flush=True)
    try:
        server.serve_forever()
    finally:
        scene_events.detach()
        server.close()
    return server.served


def status() -> str:
    if _server is None:
        return "nngbridge: stopped"
    return (f"nngbridge: {_server.address}, {_server.clients} client(s), "
            f"{_server.served} request(s) served")


def register() -> None:
    from . import preferences

    preferences.register()


def unregister() -> None:
    from . import preferences

    stop()
    preferences.unregister()
