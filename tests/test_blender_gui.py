"""The add-on in a real Blender with its UI (under Xvfb): the server runs from a persistent
``bpy.app.timers`` callback, and the UI keeps ticking while a client floods requests and
while a job runs; the pictures (viewport capture, OpenGL render, an image's preview) are
real pixels."""

from __future__ import annotations

import shutil
import time

import pytest

import nngbridge.scene
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


# What the UI does where it lists IDs (asset browser, ID menus): it draws their preview
# icons, and drawing one at preview size makes Blender render that preview in a job. Here
# the 3D viewport's header draws the previews of the images named by test.show_preview.
SHOW_PREVIEWS = """
from nngbridge.blender.registry import arg
SHOWN = []
def _draw_previews(self, context):
    for name in SHOWN:
        img = bpy.data.images.get(name)
        if img is not None:
            self.layout.template_icon(icon_value=img.preview_ensure().icon_id, scale=2.0)
bpy.types.VIEW3D_HT_header.append(_draw_previews)

@command("test.show_preview", name=arg(str))
def _show_preview(name):
    if name not in SHOWN:
        SHOWN.append(name)
    for window in bpy.context.window_manager.windows:
        for area in window.screen.areas:
            area.tag_redraw()
    return len(SHOWN)
"""


@pytest.fixture(scope="module")
def gui(tmp_path_factory, addon_from_sources):
    with BlenderServer(tmp_path_factory.mktemp("gui"), gui=True,
                       script=TICK_COUNTER + SHOW_PREVIEWS) as b:
        yield b


# Failure guards only: every assertion below is about order of events, never about speed.
GUARD_S = 240


def test_gui_serves_from_a_timer_and_the_ui_keeps_ticking(gui):
    assert gui.call("session.ping") == "pong"
    assert gui.call("object.create", type="CUBE", name="GuiBox") == {"name": "GuiBox"}
    # Flood the server with back-to-back requests. The UI's own timer must run between
    # requests: the tick count read by one request must differ from the one read by the
    # request before it, again and again. A server that starved the UI would answer every
    # read with the same count however long the flood lasts.
    advances, requests = 0, 0
    last = gui.call("test.ticks")
    deadline = time.monotonic() + GUARD_S
    while advances < 5:
        assert time.monotonic() < deadline, f"UI ticked {advances} times in {requests} requests"
        assert gui.call("session.ping") == "pong"
        ticks = gui.call("test.ticks")
        requests += 2
        assert ticks >= last
        advances += ticks > last
        last = ticks


def test_gui_ui_keeps_ticking_while_a_job_runs(gui):
    gui.call("scene.set", resolution=[32, 24], resolution_percentage=100, properties={
        "render.engine": "CYCLES", "cycles.samples": 1, "cycles.use_denoising": False})
    job = gui.call("render.animation", path="g_###.png", frame_start=1,
                   frame_end=30)["job"]
    # While the job is still queued or running (as reported after the tick read), other
    # requests are served and the UI timer fires between them.
    ticks_while_running = []
    deadline = time.monotonic() + GUARD_S
    while True:
        assert time.monotonic() < deadline, "render job never finished"
        assert gui.call("session.ping") == "pong"  # other clients are served meanwhile
        ticks = gui.call("test.ticks")
        state = gui.call("job.status", job=job)
        if state["state"] not in ("queued", "running"):
            break
        ticks_while_running.append(ticks)
    assert state["state"] == "done", state
    assert len(state["result"]["paths"]) == 30
    assert len(set(ticks_while_running)) >= 2, ticks_while_running


def test_gui_1080p_pixel_fetch(gui):
    gui.call("image.new", name="HD", width=1920, height=1080)
    for _ in range(5):
        px = gui.call("image.pixels_get", name="HD")
        assert len(px["data"]) == 1920 * 1080 * 16


def test_gui_viewport_capture_and_opengl_render_are_pixels(gui):
    import numpy as np

    hello = gui.call("session.hello")["commands"]
    assert {"viewport.capture", "render.opengl"} <= set(hello)
    shot = gui.call("viewport.capture")
    h, w = shot["shape"][:2]
    assert shot["dtype"] == "f4" and shot["shape"][2] == 4 and w > 100 and h > 100
    px = np.frombuffer(bytes(shot["data"]), np.float32).reshape(h, w, 4)
    assert np.isfinite(px).all() and px[..., :3].std() > 0.01  # the cube on its grid
    small = gui.call("viewport.capture", width=40, height=30)
    assert small["shape"] == [30, 40, 4] and len(bytes(small["data"])) == 30 * 40 * 16
    # The factory scene's camera looks at the cube: the middle differs from the corners.
    render = gui.call("render.opengl", width=64, height=48)
    assert render["shape"] == [48, 64, 4]
    rgba = np.frombuffer(bytes(render["data"]), np.float32).reshape(48, 64, 4)
    assert abs(rgba[24, 32, :3] - rgba[2, 2, :3]).max() > 0.05, (rgba[24, 32], rgba[2, 2])
    assert gui.error("viewport.capture", area=99)["code"] == "NOT_FOUND"
    assert gui.error("viewport.capture", width=1 << 17)["code"] == "INVALID_ARGUMENT"
    too_big = gui.error("render.opengl", width=65536, height=65536)
    assert too_big["code"] == "TOO_LARGE", too_big




def test_gui_image_preview_is_the_images_pixels(gui):
    """The UI makes an image's preview once it shows its icon; until then image.preview
    answers BUSY, after that the picture: quadrants of a known image, bottom row first."""
    import numpy as np

    side = 32
    quad = np.zeros((side, side, 4), np.float32)
    half = side // 2
    quad[..., 3] = 1.0
    quad[:half, :half, 0] = 1.0  # bottom left red
    quad[:half, half:, 1] = 1.0  # bottom right green
    quad[half:, :half, 2] = 1.0  # top left blue
    quad[half:, half:, :3] = 1.0  # top right white
    gui.call("image.new", name="Quads", width=side, height=side, float_buffer=False)
    gui.call("image.pixels_set", name="Quads",
             pixels={"dtype": "f4", "shape": [side, side, 4], "data": quad.tobytes()})
    deadline = time.monotonic() + GUARD_S
    busy = 0
    while True:
        assert time.monotonic() < deadline, f"no preview after {busy} BUSY answers"
        gui.call("test.show_preview", name="Quads")  # (again) redraw the header that shows it
        try:
            prev = gui.call("image.preview", kind="IMAGE", name="Quads")
            break
        except nngbridge.scene.SceneError as e:
            assert e.code == "BUSY", (e.code, e.message)
            busy += 1
    h, w, channels = prev["shape"]
    assert prev["dtype"] == "f4" and channels == 4 and w == h >= 16, prev["shape"]
    px = np.frombuffer(bytes(prev["data"]), np.float32).reshape(h, w, 4)
    assert px.any() and np.isfinite(px).all()
    # Quadrant centres (the preview scales the image: edges between quadrants blend).
    q1, q3 = h // 4, 3 * h // 4
    for (y, x), rgba in {(q1, q1): (1, 0, 0, 1), (q1, q3): (0, 1, 0, 1),
                         (q3, q1): (0, 0, 1, 1), (q3, q3): (1, 1, 1, 1)}.items():
        assert np.abs(px[y, x] - rgba).max() < 0.02, ((y, x), px[y, x], rgba)
