"""Peer for the Ctrl+C test: block in recv() on the main thread and report, on
CLOCK_MONOTONIC (shared by all processes on Linux), when KeyboardInterrupt arrived.

usage: python blocked_recv.py MODULE
prints: READY <t>            just before the blocking recv
        INTERRUPTED <t>      when recv raised KeyboardInterrupt
        RETURNED ...         if recv returned or raised anything else (a failure)
"""

import importlib
import sys
import time

nng = importlib.import_module(sys.argv[1])

with nng.Pull0(listen="inproc://blocked-recv") as s:
    print("READY", time.monotonic(), flush=True)
    try:
        s.recv()
        print("RETURNED", flush=True)
    except KeyboardInterrupt:
        print("INTERRUPTED", time.monotonic(), flush=True)
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        print("RETURNED", type(e).__name__, e, flush=True)
