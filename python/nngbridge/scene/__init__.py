"""``nngbridge.scene``: the Python client of the scene protocol (docs/protocol.md,
docs/python-client.md).

    import nngbridge.scene as scene
    with scene.connect("ipc:///tmp/blender") as blender:
        blender.call("object.create", type="CUBE", name="Box")
        pixels = blender.call("image.pixels_get", name="Render")   # a numpy array

``Pool`` drives many Blenders that join it (docs/pool.md).

Pure Python over the native module; runs outside and inside Blender (CPython 3.9+).
"""

from __future__ import annotations

from .aio import AsyncClient, AsyncJob
from .arrays import DTYPES
from .client import (
    DEFAULT_TIMEOUT,
    PROTOCOL_VERSION,
    BatchItem,
    BatchReport,
    Client,
    Job,
    connect,
)
from . import _codes, errors
from ._codes import *  # noqa: F403 - SceneError and a class per error code
from .errors import CallTimeout, ConnectionLost, EventGap, ProtocolError
from .events import AsyncEventStream, Event, EventStream
from .pool import Pool, PoolStats, Refusal, TaskResult, Ticket, WorkerInfo

__all__ = ["DEFAULT_TIMEOUT", "DTYPES", "PROTOCOL_VERSION", "AsyncClient", "AsyncEventStream",
           "AsyncJob", "BatchItem", "BatchReport", "Client", "Event", "EventStream", "Job",
           "CallTimeout", "ConnectionLost", "EventGap", "ProtocolError", "connect", "errors",
           "Pool", "PoolStats", "Refusal", "TaskResult", "Ticket", "WorkerInfo"]
__all__ += _codes.__all__
