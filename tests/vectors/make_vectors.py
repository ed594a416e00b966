"""Writes the shared protocol vectors (tests/vectors/*.msgpack and vectors.json).

Each vector is a message exactly as it travels: requests and replies are one MessagePack
map; events are the topic, one 0x00 byte, then the MessagePack body. vectors.json gives
each file's kind and meaning (the decoded value, with bytes as {"$bin": hex}).
Run from the repository root: python tests/vectors/make_vectors.py
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import nngbridge

HERE = Path(__file__).parent

PIXELS = struct.pack("<8f", 0.0, 0.25, 0.5, 1.0, 1.0, 0.5, 0.25, 0.0)

VECTORS = [
    ("request_hello", "request", "session.hello with no arguments",
     {"v": 1, "id": 1, "cmd": "session.hello", "args": {}}),
    ("request_object_create_token", "request", "object.create with a token",
     {"v": 1, "id": 42, "cmd": "object.create",
      "args": {"type": "CUBE", "name": "Box", "collection": "Props",
               "location": [1.0, 2.0, 0.5], "size": 2.0},
      "token": "s3cret"}),
    ("request_pixels_set", "request", "image.pixels_set with a 1x2 RGBA float32 array",
     {"v": 1, "id": 7, "cmd": "image.pixels_set",
      "args": {"image": "Mask", "pixels": {"dtype": "f4", "shape": [1, 2, 4], "data": PIXELS}}}),
    ("request_batch", "request", "batch of two commands, stop on error",
     {"v": 1, "id": 9, "cmd": "batch",
      "args": {"commands": [{"cmd": "scene.frame_set", "args": {"frame": 10}},
                            {"cmd": "object.delete", "args": {"name": "Box"}}],
               "stop_on_error": True}}),
    ("reply_ok_hello", "reply", "session.hello result",
     {"v": 1, "id": 1, "ok": True,
      "result": {"protocol": 1, "server": "nngbridge 0.1.0", "blender": "3.4.1",
                 "commands": ["session.hello", "session.ping"]}}),
    ("reply_ok_pixels", "reply", "image.pixels_get result: a binary array",
     {"v": 1, "id": 8, "ok": True,
      "result": {"dtype": "f4", "shape": [1, 2, 4], "data": PIXELS}}),
    ("reply_error_not_found", "reply", "NOT_FOUND error with details",
     {"v": 1, "id": 43, "ok": False,
      "error": {"code": "NOT_FOUND", "message": "no object named 'Nope'",
                "details": {"name": "Nope"}}}),
    ("reply_error_bad_request", "reply", "BAD_REQUEST for an unreadable request (id unknown)",
     {"v": 1, "id": None, "ok": False,
      "error": {"code": "BAD_REQUEST", "message": "request is not a MessagePack map",
                "details": None}}),
    ("event_frame", "event", "frame change event",
     {"v": 1, "seq": 12, "topic": "frame", "data": {"frame": 24, "scene": "Scene"}}),
    ("event_job_progress", "event", "job progress event",
     {"v": 1, "seq": 13, "topic": "job",
      "data": {"job": 3, "state": "running", "progress": 0.5, "message": "frame 12/24"}}),
]


def to_json(v):
    if isinstance(v, bytes):
        return {"$bin": v.hex()}
    if isinstance(v, dict):
        return {k: to_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [to_json(x) for x in v]
    return v


def encode(kind: str, value: dict) -> bytes:
    body = nngbridge.packb(value)
    return value["topic"].encode() + b"\0" + body if kind == "event" else body


def main() -> None:
    index = []
    for name, kind, meaning, value in VECTORS:
        (HERE / f"{name}.msgpack").write_bytes(encode(kind, value))
        index.append({"name": name, "file": f"{name}.msgpack", "kind": kind,
                      "meaning": meaning, "value": to_json(value)})
    (HERE / "vectors.json").write_text(json.dumps(index, indent=2) + "\n")


if __name__ == "__main__":
    main()
