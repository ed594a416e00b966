"""Peer for the interpreter-exit test: leave sockets open, a recv() blocked in a daemon
thread and an arecv() pending on an asyncio loop in another daemon thread, then let the
interpreter exit. The parent checks the exit code is 0 and that it exits promptly.

usage: python exit_with_pending.py MODULE
"""

import asyncio
import importlib
import sys
import threading

nng = importlib.import_module(sys.argv[1])

plain = nng.Pull0(listen="inproc://exit-plain")
other = nng.Pair0(listen="inproc://exit-async")
peer = nng.Pair0(dial="inproc://exit-async")
blocked = threading.Event()


def blocked_recv():
    blocked.set()
    try:
        plain.recv()
    except nng.Closed:
        pass  # sockets closed at exit wake their callers


async def pending_arecv():
    blocked_async.set()
    try:
        await other.arecv()
    except nng.Closed:
        pass


blocked_async = threading.Event()
threading.Thread(target=blocked_recv, daemon=True).start()
threading.Thread(target=lambda: asyncio.run(pending_arecv()), daemon=True).start()
assert blocked.wait(5) and blocked_async.wait(5)
print("READY", flush=True)
# Fall off the end: interpreter shutdown with everything still open and pending.
