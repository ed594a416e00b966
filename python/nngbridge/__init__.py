"""nngbridge: NNG messaging for Blender and Rust, a drop-in for pynng.

``import nngbridge as pynng`` runs pynng programs unchanged; sends take any buffer,
received messages can be read without a copy, blocking calls release the GIL and answer
Ctrl+C. See the README and ``docs/pynng-compat.md``.
"""

from __future__ import annotations

# Each name is listed once: the submodules' own __all__ say what they export, this
# file adds the native functions and the modules.
from . import exceptions, lib, nng, options, sockaddr, tls
from ._nng import (
    AsyncOp,
    buffer_cache_limit,
    buffer_cache_size,
    nng_version,
    pack_with_tail,
    packb,
    set_buffer_cache_limit,
    unpackb,
)
from .exceptions import *  # noqa: F403
from .nng import *  # noqa: F403
from .tls import TLSConfig

__version__ = "0.1.0"

__all__ = [
    "AsyncOp",
    "TLSConfig",
    "buffer_cache_limit",
    "buffer_cache_size",
    "exceptions",
    "lib",
    "nng_version",
    "options",
    "pack_with_tail",
    "packb",
    "set_buffer_cache_limit",
    "sockaddr",
    "tls",
    "unpackb",
]
__all__ += exceptions.__all__
__all__ += nng.__all__
