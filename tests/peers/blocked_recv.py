"""Peer for the Ctrl+C test: block on the main thread in a call and report whether
KeyboardInterrupt ended it.

usage: python blocked_recv.py MODULE [recv|send|ctx_recv]
prints: READY <tid>          just before the blocking call (tid: the main thread's id)
        INTERRUPTED          when the call raised KeyboardInterrupt
        RETURNED ...         if it returned or raised anything else (a failure)
"""

import importlib
import signal
import sys
import threading

nng = importlib.import_module(sys.argv[1])
call = sys.argv[2] if len(sys.argv) > 2 else "recv"
# Python keeps SIGINT ignored when it starts ignored, as it does under a parent run as a
# background job (nohup, `cmd &` in a script): restore the handler every terminal gives.
signal.signal(signal.SIGINT, signal.default_int_handler)

with nng.Pull0() if call == "recv" else nng.Push0() if call == "send" else nng.Rep0() as s:
    op = {"recv": s.recv, "send": lambda: s.send(b"x")}.get(call) or s.new_context().recv
    print("READY", threading.get_native_id(), flush=True)
    try:
        op()
        print("RETURNED", flush=True)
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
    except BaseException as e:  # noqa: BLE001 - reported to the parent
        print("RETURNED", type(e).__name__, e, flush=True)
