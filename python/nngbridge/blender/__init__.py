"""The nngbridge Blender add-on: serves the scene protocol (docs/protocol.md) from inside
Blender without blocking its UI.

* GUI: ``start(address, events=..., token=...)`` / ``stop()`` (a persistent timer pumps).
* ``blender -b``: ``serve(address, events=..., token=...)`` runs until ``session.shutdown``.
* A worker of a pool (docs/pool.md): ``serve(join="tcp://controller:7000", token=...)``.

Blender reads the add-on's ``bl_info`` from the shim, ``addon/__init__.py``.
"""

from __future__ import annotations

from typing import Any

_server: Any = None

# The GUI timer: straight back while requests or jobs keep coming; when idle, back off
# from 2 ms to 50 ms so an idle Blender costs nothing and the first request after a pause
# waits at most 50 ms.
BUDGET_MS = 4.0
LINGER_MS = 1.0  # wait this long for a client's next request before yielding to the UI
IDLE_MIN_S = 0.002
IDLE_MAX_S = 0.05
_idle = {"interval": IDLE_MIN_S}


def _make_server(address: str, events: str | None, token: str | None, **kw: Any) -> Any:
    from . import commands  # noqa: F401 - registers the command table
    from . import events as scene_events
    from .server import Server

    server = Server(address, events=events, token=token, **kw)
    scene_events.attach(server.publish)
    server.log("info", f"serving {address}")
    if server.token_file:
        print(f"nngbridge: token in {server.token_file}", flush=True)
    return server


def _tick() -> float | None:
    if _server is None or not _server.running:
        stop()
        return None
    handled = _server.pump(budget_ms=BUDGET_MS, linger_ms=LINGER_MS)
    if handled or _server.busy:
        _idle["interval"] = IDLE_MIN_S
        return 0.0
    interval = _idle["interval"]
    _idle["interval"] = min(interval * 2, IDLE_MAX_S)
    return interval


def start(address: str = "tcp://127.0.0.1:5555", *, events: str | None = None,
          token: str | None = None, **kw: Any) -> Any:
    """Starts serving from a persistent timer (Blender's UI); returns the server.

    ``token``: none given, one is generated; it is written to a user-only file that local
    clients find from the address (docs/protocol.md §7.1). Keywords: ``insecure_no_token``
    (serve without a token; default False), ``work_dir`` and ``allowed_dirs`` (where file
    commands may read and write, §7.2), ``allow_exec`` (default False), ``allow_remote``
    (non-loopback binds without TLS, default False), ``tls`` (serve ``tls+tcp://``: a server
    ``TLSConfig`` or ``{"cert": PEM file, "key": PEM file, "ca": PEM file,
    "require_client_cert": bool}``, see ``server.ServerTls``), and the limits
    ``max_message``, ``memory_budget``, ``max_job_frames`` (defaults in ``registry``,
    docs/protocol.md §12). ``join="tcp://controller:port"`` (with ``token=``, the pool's)
    joins a pool as a worker instead of listening: the sockets dial the pool
    (docs/pool.md); ``worker_id`` names it there, and ``tls`` is then the client side
    (``server.JoinTls``: ``{"ca": the pool's CA, "cert", "key"}``)."""
    import bpy

    global _server
    stop()
    _server = _make_server(address, events, token, **kw)
    _idle["interval"] = IDLE_MIN_S
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
    number of requests served. Takes the same keywords as ``start``."""
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
    """The status line: address, clients, requests served."""
    if _server is None:
        return "nngbridge: stopped"
    return (f"nngbridge: {_server.address}, {_server.clients} client(s), "
            f"{_server.served} request(s) served")


def register(addon_name: str | None = None) -> None:
    """Registers preferences, operator and status line; ``addon_name`` is the add-on's
    module name in Blender (the shim in ``addon/`` passes its own)."""
    from . import preferences

    preferences.register(addon_name)


def unregister() -> None:
    from . import preferences

    stop()
    preferences.unregister()
