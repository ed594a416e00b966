"""The add-on in a real Blender with its UI (under Xvfb): the server runs from a persistent
``bpy.app.timers`` callback, and the UI keeps ticking while a client floods requests and
while a job runs."""

from __future__ import annotations

import shutil
import statistics
import time

import pytest

import blender_harness
from blender_harness import BlenderServer
from blender_scripts.modules import install_sources

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


@pytest.fixture(scope="module")
def gui(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blender_harness, "install_wheel", install_sources)
        with BlenderServer(tmp_path_factory.mktemp("gui"), gui=True, script=TICK_COUNTER) as b:
            yield b


def test_gui_serves_from_a_timer_and_the_ui_keeps_ticking(gui):
    assert gui.call("session.ping") == "pong"
    assert gui.call("object.create", type="CUBE", name="GuiBox") == {"name": "GuiBox"}
    before = gui.call("test.ticks")
    times = []
    t0 = time.monotonic()
    for _ in range(300):
        t = time.perf_counter()
        assert gui.call("session.ping") == "pong"
        times.append(time.perf_counter() - t)
    elapsed = time.monotonic() - t0
    after = gui.call("test.ticks")
    # The UI's own 20 ms timer must keep firing while requests pour in: at least
    # one tick per 200 ms of flood (it fires far more often when healthy).
    assert after - before >= max(3, int(elapsed / 0.2)), (before, after, elapsed)
    print(f"\nGUI: round trip median {statistics.median(times) * 1e3:.2f} ms over 300 pings "
          f"({elapsed:.2f} s); UI ticks {after - before}")


def test_gui_ui_keeps_ticking_while_a_job_runs(gui):
    gui.call("scene.set", resolution=[32, 24], resolution_percentage=100, properties={
        "render.engine": "CYCLES", "cycles.samples": 1, "cycles.use_denoising": False})
    job = gui.call("render.animation", path="g_###.png", frame_start=1,
                   frame_end=30)["job"]
    before = gui.call("test.ticks")
    t0 = time.monotonic()
    state = gui.call("job.status", job=job)
    pings = 0
    while state["state"] in ("queued", "running"):
        assert gui.call("session.ping") == "pong"  # other clients are served meanwhile
        pings += 1
        state = gui.call("job.status", job=job)
        assert time.monotonic() - t0 < 120, state
    elapsed = time.monotonic() - t0
    after = gui.call("test.ticks")
    assert state["state"] == "done", state
    assert len(state["result"]["paths"]) == 30
    assert after - before >= max(3, int(elapsed / 0.2)), (before, after, elapsed)
    print(f"GUI: 30-frame render job in {elapsed:.2f} s; {pings} pings answered meanwhile; "
          f"UI ticks {after - before}")


def test_gui_1080p_pixel_fetch(gui):
    gui.call("image.new", name="HD", width=1920, height=1080)
    fetch = []
    for _ in range(5):
        t = time.perf_counter()
        px = gui.call("image.pixels_get", name="HD")
        fetch.append(time.perf_counter() - t)
        assert len(px["data"]) == 1920 * 1080 * 16
    print(f"GUI: 1920x1080 RGBA float fetch median {statistics.median(fetch) * 1e3:.1f} ms")
