"""The Python half of the README's demo (``python -m nngbridge.demo``).

It serves typed MessagePack requests on a Rep0 socket and publishes ``tick`` events on a
Pub0 socket, then runs the Rust half (``crates/nngbridge-scene/examples/demo_peer.rs``) against
them and reports what it printed. Later issues grow this into the Blender demo.
"""

from __future__ import annotations

import argparse
import array
import os
import subprocess
import sys
import tempfile
import threading
from typing import Any

import nngbridge

TICK_EVERY = 50


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Answer one request; never raises (errors become ``ok: False`` replies)."""
    rid = request.get("id")
    cmd = request.get("cmd")
    try:
        if cmd == "add":
            return {"id": rid, "ok": True, "sum": int(request["a"]) + int(request["b"])}
        if cmd == "scale":
            data = array.array("f")
            data.frombytes(bytes(request["data"]))
            scaled = array.array("f", (x * float(request["factor"]) for x in data))
            return {"id": rid, "ok": True, "data": scaled.tobytes()}
        if cmd == "shutdown":
            return {"id": rid, "ok": True}
        return {"id": rid, "ok": False, "error": f"unknown command {cmd!r}"}
    except (KeyError, TypeError, ValueError) as e:
        return {"id": rid, "ok": False, "error": f"{type(e).__name__}: {e}"}


def serve(address: str, events: str, ready: threading.Event) -> int:
    """Serve until a ``shutdown`` request; returns the number of requests served."""
    served = 0
    seq = 0
    with nngbridge.Rep0(listen=address) as rep, nngbridge.Pub0(listen=events) as pub:
        ready.set()
        while True:
            raw = rep.recv()
            try:
                request = nngbridge.unpackb(raw)
                if not isinstance(request, dict):
                    raise ValueError("a request is a map")
            except ValueError as e:
                rep.send(nngbridge.packb({"id": None, "ok": False, "error": str(e)}))
                continue
            reply = handle(request)
            served += 1
            if served % TICK_EVERY == 0:
                seq += 1
                pub.send(b"tick" + nngbridge.packb({"seq": seq, "served": served}))
            rep.send(nngbridge.packb(reply))
            if request.get("cmd") == "shutdown":
                return served


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--peer", default="target/release/examples/demo_peer",
                        help="path of the Rust demo peer binary")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="nngbridge-demo-") as tmp:
        address = f"ipc://{os.path.join(tmp, 'requests')}"
        events = f"ipc://{os.path.join(tmp, 'events')}"
        ready = threading.Event()
        result: dict[str, int] = {}
        server = threading.Thread(
            target=lambda: result.setdefault("served", serve(address, events, ready)),
            daemon=True,
        )
        server.start()
        ready.wait(10)
        print(f"python: serving {address}, events on {events}", flush=True)
        peer = subprocess.run([args.peer, address, events, str(args.requests)], check=False)
        server.join(10)
        served = result.get("served")
        print(f"python: served {served} requests; rust peer exit code {peer.returncode}")
        ok = peer.returncode == 0 and served == args.requests + 1
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
