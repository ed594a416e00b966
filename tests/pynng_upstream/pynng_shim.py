"""A pytest plugin that makes ``import pynng`` (and its submodules) give nngbridge, so
pynng's own test suite runs unchanged against nngbridge (tests/test_pynng_upstream.py)."""

import importlib
import sys

import nngbridge

sys.modules["pynng"] = nngbridge
for _name in ("nng", "exceptions", "options", "sockaddr", "tls", "_aio", "lib"):
    try:
        sys.modules[f"pynng.{_name}"] = importlib.import_module(f"nngbridge.{_name}")
    except ImportError:  # a submodule nngbridge lacks: the suite's import of it fails
        pass
