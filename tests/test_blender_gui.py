"""The add-on in a real Blender with its UI (under Xvfb): the server runs from a persistent
``bpy.app.timers`` callback, and the UI keeps ticking while a client floods requests."""

from __future__ import annotations

import shutil
import time

import pytest

from blender_harness import BlenderServer

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (setup.sh)"),
]

# A UI timer that counts its ticks, and a command to read the count.
TICK_COUNTER = """
from nngbridge.blender.registry import command
TICKS = [0]
def _count():
    TICKS[0] += 1
    return 0.02
bpy.app.timers.register(_count, persistent=True)

@command("test.ticks")
def _ticks():
    return TICKS[0]
"""


def test_gui_serves_from_a_timer_and_the_ui_keeps_ticking(tmp_path):
    with BlenderServer(tmp_path, gui=True, script=TICK_COUNTER) as b:
        assert b.call("session.ping") == "pong"
        assert b.call("object.create", type="CUBE", name="GuiBox") == {"name": "GuiBox"}
        before = b.call("test.ticks")
        t0 = time.monotonic()
        for _ in range(300):
            assert b.call("session.ping") == "pong"
        elapsed = time.monotonic() - t0
        after = b.call("test.ticks")
        # The UI's own 20 ms timer must keep firing while requests pour in: at least
        # one tick per 200 ms of flood (it fires far more often when healthy).
        assert after - before >= max(3, int(elapsed / 0.2)), (before, after, elapsed)
        print(f"GUI: 300 pings in {elapsed:.2f}s ({elapsed / 300 * 1e3:.2f} ms each); "
              f"UI ticks {after - before}")
