"""A JSON-over-TCP command server that runs inside Blender, built the way today's Blender
bridges (BlenderMCP and its kin) are: the comparison point for nngbridge in
``bench_blender.py``. It is not part of nngbridge and imports nothing of it.

* A thread accepts TCP connections; a thread per connection reads JSON commands, one per
  line or unframed (a command ends where a complete JSON value ends), onto a queue.
* Blender's main thread drains the queue: a ``bpy.app.timers`` callback in the GUI
  (``start``), a loop under ``blender -b`` where timers never fire (``serve``).
* Each reply is one JSON line, sent from the main thread; pixels travel as base64 of
  float32 bytes inside the JSON.

Commands: ``{"type": "ping"}``, ``{"type": "create_object", "params": {"name": ...}}``,
``{"type": "get_image_pixels", "params": {"name": ...}}``, ``get_mesh`` / ``create_mesh``
(geometry as JSON lists), ``{"type": "shutdown"}``;
replies ``{"status": "success", "result": ...}`` or ``{"status": "error", "message": ...}``.

Where it is generous to itself, so that the comparison measures the design and not slack:
TCP_NODELAY on both ends; pixels through ``foreach_get`` into a reused buffer (not
``list(img.pixels)``); objects made with the same bmesh code as nngbridge's
``object.create``; the GUI timer comes straight back while requests keep coming; a
request is parsed once it can be complete, not after every chunk (see ``_read``).
"""

from __future__ import annotations

import array
import base64
import json
import queue
import socket
import threading
from typing import Any, Callable

import bpy

MAX_REQUEST = 256 << 20  # a 1M-vertex mesh as JSON lists is ~100 MB
IDLE_S = 0.005  # the GUI timer's interval when the queue was empty (Blender's idle floor)


def ping() -> str:
    return "pong"


def create_object(name: str = "Cube", size: float = 2.0) -> dict[str, Any]:
    """A cube with the same calls as nngbridge's ``object.create`` (bmesh, no bpy.ops)."""
    import bmesh

    bm = bmesh.new()
    try:
        bmesh.ops.create_cube(bm, size=size)
        mesh = bpy.data.meshes.new("Cube")
        bm.to_mesh(mesh)
    finally:
        bm.free()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return {"name": obj.name}


_pixels: dict[str, Any] = {}


def get_image_pixels(name: str) -> dict[str, Any]:
    img = bpy.data.images.get(name)
    if img is None:
        raise KeyError(f"no image {name!r}")
    count = len(img.pixels)
    buf = _pixels.get(name)
    if buf is None or len(buf) != count:
        buf = _pixels[name] = array.array("f", [0.0]) * count
    img.pixels.foreach_get(buf)
    w, h = img.size
    return {"width": w, "height": h, "channels": img.channels, "dtype": "float32",
            "pixels": base64.b64encode(memoryview(buf)).decode("ascii")}


def get_mesh(name: str) -> dict[str, Any]:
    """A mesh as JSON lists, as such bridges send geometry: ``vertices`` [[x, y, z]],
    ``polygons`` [[vertex indices]]. Generous: read with foreach_get (numpy, which the
    bench needs anyway), then turned into lists."""
    import numpy

    mesh = bpy.data.meshes[name]
    co = numpy.empty(3 * len(mesh.vertices), numpy.float32)
    mesh.vertices.foreach_get("co", co)
    starts = numpy.empty(len(mesh.polygons), numpy.int32)
    mesh.polygons.foreach_get("loop_start", starts)
    corners = numpy.empty(len(mesh.loops), numpy.int32)
    mesh.loops.foreach_get("vertex_index", corners)
    return {"vertices": co.reshape(-1, 3).tolist(),
            "polygons": [p.tolist() for p in numpy.split(corners, starts[1:])]}


def create_mesh(name: str, vertices: list, polygons: list) -> dict[str, Any]:
    """A mesh from JSON lists with ``from_pydata``, as such bridges build one."""
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(vertices, [], polygons)
    mesh.update()
    return {"name": mesh.name, "vertices": len(mesh.vertices)}


class JsonTcpServer:
    """Listens on ``127.0.0.1:port``; ``drain`` runs queued commands on the caller's
    (main) thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.running = True
        self.requests: queue.Queue[tuple[socket.socket, Any]] = queue.Queue()
        self.handlers: dict[str, Callable[..., Any]] = {
            "ping": ping, "create_object": create_object,
            "get_image_pixels": get_image_pixels, "get_mesh": get_mesh,
            "create_mesh": create_mesh, "shutdown": self.shutdown}
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.2)
        threading.Thread(target=self._accept, name="json-tcp accept", daemon=True).start()

    def shutdown(self) -> bool:
        self.running = False
        return True

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._read, args=(conn,), name="json-tcp client",
                             daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        """Parses complete JSON values off the stream as they arrive; newlines are just
        whitespace between them. BlenderMCP tries ``json.loads`` on its whole buffer after
        every chunk, which is quadratic: a 100 MB request is parsed ~1,500 times. Here a
        parse is tried only when the buffer could hold a complete command: when it ends
        (past whitespace) in ``}`` or a newline, the only places an object command or a
        line can end. Each request is then parsed about once, as a framed protocol would,
        and the JSON side pays for its format, not for a parsing accident."""
        decoder = json.JSONDecoder()
        pending = bytearray()
        try:
            while self.running:
                chunk = conn.recv(1 << 16)
                if not chunk:
                    return
                pending += chunk
                if not (chunk.endswith(b"\n") or chunk.rstrip().endswith(b"}")):
                    if len(pending) > MAX_REQUEST:
                        self.requests.put((conn, ValueError(f"over {MAX_REQUEST} bytes")))
                        pending.clear()
                    continue
                # Ends in an ASCII byte, so no UTF-8 sequence is cut; bad UTF-8 closes.
                text, start = pending.decode("utf-8"), 0
                while True:
                    while start < len(text) and text[start].isspace():
                        start += 1
                    if start == len(text):
                        pending.clear()
                        break
                    try:
                        command, start = decoder.raw_decode(text, start)
                    except json.JSONDecodeError as e:
                        # Incomplete unless a line ended after the error: then that line
                        # is bad, and what follows it is read on.
                        newline = text.find("\n", e.pos)
                        if newline >= 0:
                            self.requests.put((conn, e))
                            start = newline + 1
                            continue
                        if len(text) - start > MAX_REQUEST:
                            self.requests.put((conn, e))
                            pending.clear()
                        else:
                            pending[:] = text[start:].encode("utf-8")
                        break
                    self.requests.put((conn, command))
        except (OSError, UnicodeDecodeError):
            conn.close()

    def handle(self, conn: socket.socket, command: Any) -> None:
        try:
            if isinstance(command, Exception):
                raise ValueError(f"not JSON: {command}")
            if not isinstance(command, dict) or command.get("type") not in self.handlers:
                raise ValueError(f"unknown command: {command!r:.80}")
            result = self.handlers[command["type"]](**command.get("params", {}))
            reply: dict[str, Any] = {"status": "success", "result": result}
        except Exception as e:  # noqa: BLE001 - every failure becomes an error reply
            reply = {"status": "error", "message": f"{type(e).__name__}: {e}"}
        try:
            conn.sendall(json.dumps(reply).encode() + b"\n")
        except OSError:
            pass  # the client went away

    def drain(self) -> int:
        """Runs every queued command; returns how many."""
        handled = 0
        while True:
            try:
                conn, command = self.requests.get_nowait()
            except queue.Empty:
                return handled
            self.handle(conn, command)
            handled += 1

    def close(self) -> None:
        self.running = False
        self.listener.close()


def serve(port: int) -> None:
    """``blender -b``: drains the queue on the main thread until ``shutdown``."""
    server = JsonTcpServer(port)
    print(f"json-tcp: serving 127.0.0.1:{port}", flush=True)
    try:
        while server.running:
            try:
                conn, command = server.requests.get(timeout=0.05)
            except queue.Empty:
                continue
            server.handle(conn, command)
            server.drain()
    finally:
        server.close()


def start(port: int) -> JsonTcpServer:
    """The GUI: a persistent timer drains the queue; ``shutdown`` quits Blender."""
    server = JsonTcpServer(port)

    def tick() -> float | None:
        handled = server.drain()
        if not server.running:
            server.close()
            bpy.ops.wm.quit_blender()
            return None
        return 0.0 if handled else IDLE_S

    bpy.app.timers.register(tick, first_interval=0.0, persistent=True)
    print(f"json-tcp: serving 127.0.0.1:{port}", flush=True)
    return server
