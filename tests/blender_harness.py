"""Starts a real Blender (Debian's package, or a PyPI ``bpy`` wheel imported by a venv's
Python: tests/bpy_pypi.py) with the nngbridge wheel installed in its user modules, serving
the scene protocol, and talks to it. Used by tests/test_blender_*.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import bpy_pypi
import nngbridge
import nngbridge.scene
from nngbridge import tokens

ROOT = Path(__file__).resolve().parents[1]


def work_dir(tmp: Path) -> Path:
    """The work directory a ``BlenderServer(tmp)`` serves with (made here if missing)."""
    work = tmp / "work"
    work.mkdir(parents=True, exist_ok=True)
    return work


# A BlenderServer ``script`` (it runs before Blender serves) that encodes {frames}/frame_*.bmp
# into {movie} with the sequencer: lossless H.264, so the pixels read back are those written.
# Put {movie} in ``work_dir(tmp)``: clip.load and friends read only allowed directories.
MAKE_MOVIE = """
import glob, os, bpy
frames = sorted(glob.glob(os.path.join({frames!r}, "frame_*.bmp")))
scene = bpy.data.scenes.new("movie maker")
scene.sequence_editor_create()
strip = scene.sequence_editor.sequences.new_image("frames", frames[0], 1, 1)
for path in frames[1:]:
    strip.elements.append(os.path.basename(path))
r = scene.render
r.resolution_x, r.resolution_y = strip.elements[0].orig_width, strip.elements[0].orig_height
r.resolution_percentage, r.fps = 100, 24
scene.frame_start, scene.frame_end = 1, len(frames)
scene.view_settings.view_transform = "Standard"
r.image_settings.file_format = "FFMPEG"
r.ffmpeg.format, r.ffmpeg.codec, r.ffmpeg.constant_rate_factor = "MPEG4", "H264", "LOSSLESS"
r.filepath = {movie!r}
bpy.ops.render.render(animation=True, scene=scene.name)
bpy.data.scenes.remove(scene)
assert os.path.isfile({movie!r}), "the movie was not written"
print("made movie", {movie!r}, len(frames), "frames", flush=True)
"""


def cargo_binary(args: list[str], path: str) -> Path:
    """Builds ``cargo build -q ARGS`` (debug) and returns ``target/debug/PATH``."""
    subprocess.run(["cargo", "build", "-q", *args], cwd=ROOT, check=True, timeout=600)
    exe = ROOT / "target" / "debug" / path
    assert exe.exists(), exe
    return exe


def install_wheel(scripts: Path, tag: str = "cp311-abi3") -> None:
    wheels = sorted((ROOT / "dist").glob(f"nngbridge-*-{tag}-*.whl"))
    assert wheels, f"no {tag} wheel in dist/: run scripts/build-wheels.sh (test-all.sh does)"
    modules = scripts / "addons" / "modules"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(modules),
         str(wheels[-1])],
        check=True, capture_output=True, timeout=300,
    )


class BlenderServer:
    """``with BlenderServer(tmp_path, gui=False) as b: b.call("session.ping")``

    ``b.client`` is an ``nngbridge.scene`` client of it (``arrays=False``: binary arrays
    stay ``{dtype, shape, data: bytes}`` maps, as the tests check them); ``b.call`` and
    ``b.error`` go through it. ``b.sock`` and ``b.request`` are a raw Req0 socket and
    envelope, for tests of how the server answers requests no client would send.

    ``backend``: ``debian`` (Debian's blender) or ``bpy-<version>``, a venv with that PyPI
    ``bpy`` wheel (tests/bpy_pypi.py); the server is then that venv's plain Python process
    importing ``bpy`` (background mode, like ``blender -b``).

    ``token``: none given, the server generates one and the client finds it as any local
    client does (``tokens.read_token``); ``serve_kw``: more keywords for serve()/start()
    (e.g. ``insecure_no_token=True``, ``allowed_dirs=[...]``). Files go in ``self.work``
    (``tmp/work``), the server's work directory. ``install``: puts nngbridge into the
    user scripts (default ``install_wheel``, the cp311 wheel)."""

    def __init__(self, tmp: Path, *, gui: bool = False, token: str | None = None,
                 script: str = "", backend: str = "debian",
                 install: Callable[[Path], None] | None = None, **serve_kw: object) -> None:
        assert not (gui and backend != "debian"), "a bpy wheel has no UI"
        self.tmp = tmp
        self.gui = gui
        self.backend = backend
        self.install = install
        self.python = bpy_pypi.python(backend)
        self.token = token
        self.work = work_dir(tmp)
        self.serve_kw = dict(serve_kw, work_dir=str(self.work))
        if token is not None:
            self.serve_kw["token"] = token
        self.client_tls: Any = None  # the harness's own client's TLSConfig (tls+tcp://)
        self.address = f"ipc://{tmp}/requests"
        self.events = f"ipc://{tmp}/events"
        self.script = script
        self.lines: list[str] = []
        self._id = 0

    def __enter__(self) -> BlenderServer:
        blender = self.python or shutil.which("blender")
        assert blender, "Debian's blender is not installed (scripts/setup.sh installs it)"
        scripts = self.tmp / "scripts"
        (self.install or install_wheel)(scripts)
        env = dict(os.environ, BLENDER_USER_SCRIPTS=str(scripts))
        env.pop("PYTHONPATH", None)  # a bpy module too finds them in the user scripts
        kw = "".join(f", {k}={v!r}" for k, v in self.serve_kw.items())
        if self.gui:
            body = (f"import bpy, nngbridge.blender as b\n"
                    f"b.start({self.address!r}, events={self.events!r}{kw})\n"
                    f"{self.script}\n"
                    "def _quit_when_stopped():\n"
                    "    if b._server is None:\n"
                    "        bpy.ops.wm.quit_blender()\n"
                    "        return None\n"
                    "    return 0.1\n"
                    "bpy.app.timers.register(_quit_when_stopped, first_interval=1.0)\n")
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 640x480x24", blender, "--factory-startup",
                   "--window-geometry", "0", "0", "640", "480", "--python-exit-code", "1",
                   "--python", str(self._write(body))]
        else:
            body = (f"import bpy\nimport nngbridge.blender as b\n{self.script}\n"
                    f"n = b.serve({self.address!r}, events={self.events!r}{kw})\n"
                    f"print('SERVED', n, flush=True)\n")
            if self.python:
                cmd = [self.python, "-u", str(self._write(body))]
            else:
                cmd = [blender, "-b", "--factory-startup", "--python-exit-code", "1",
                       "--python", str(self._write(body))]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        serving = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if line.startswith("nngbridge: serving"):
                    serving.append(True)
                    ready.set()
            ready.set()  # Blender left without serving

        threading.Thread(target=read, daemon=True).start()
        assert ready.wait(120), "Blender did not start serving"
        assert serving and self.proc.poll() is None, "\n".join(self.lines[-30:])
        if self.token is None:  # generated by the server: found where any local client looks
            self.token = tokens.read_token(self.address)
        self.client = nngbridge.scene.connect(self.address, token=self.token, timeout=30,
                                              tls=self.client_tls, events=self.events,
                                              arrays=False)
        self.sock = nngbridge.Req0(dial=self.address, recv_timeout=30000,
                                   tls_config=self.client_tls)
        return self

    def _write(self, body: str) -> Path:
        path = self.tmp / "start_server.py"
        path.write_text(body)
        return path

    def request(self, cmd: str, args: dict | None = None, **extra) -> dict:
        """The raw reply to a raw request; ``extra`` overrides envelope fields."""
        self._id += 1
        req = {"v": 1, "id": self._id, "cmd": cmd, "args": args or {}}
        if self.token:
            req["token"] = self.token
        req.update(extra)
        self.sock.send(nngbridge.packb(req))
        reply = nngbridge.unpackb(self.sock.recv())
        assert reply["id"] == self._id
        return reply

    def call(self, cmd: str, **args):
        return self.client.call_args(cmd, args)

    def error(self, cmd: str, **args) -> dict:
        """The error ``cmd`` answers, as its ``{code, message, details}``."""
        try:
            result = self.client.call_args(cmd, args)
        except nngbridge.scene.SceneError as e:
            return {"code": e.code, "message": e.message, "details": e.details}
        raise AssertionError(f"{cmd} succeeded: {result!r:.300}")

    def __exit__(self, *exc) -> None:
        try:
            if self.proc.poll() is None:
                self.client.call("session.shutdown")
        finally:
            self.client.close()
            self.sock.close()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def track_the_main_job_clip(tmp: Path, peer: str) -> None:
    """The main job's tracking pass (scripts/main-job.sh): the Rust track_clip writes the
    clip's frames and clip.json (its truth), Blender encodes them into a movie, and
    ``peer`` (``rust``: track_clip.rs, ``python``: examples/track_clip.py) pulls every
    frame, finds the moving disk, writes a keyframed mask and a tracking marker, and checks
    what Blender reads back against the truth (it exits 1 beyond 0.5 px). Then Blender
    holds what it wrote."""
    tracker = cargo_binary(["-p", "nngbridge-scene", "--example", "track_clip"],
                           "examples/track_clip")
    # The movie goes in the server's work directory: the only place clip.load may read.
    frames, movie = tmp / "frames", work_dir(tmp) / "shape.mp4"
    subprocess.run([str(tracker), "frames", str(frames)], check=True, timeout=120)
    assert len(list(frames.glob("frame_*.bmp"))) == 48
    with BlenderServer(tmp, script=MAKE_MOVIE.format(frames=str(frames),
                                                     movie=str(movie))) as b:
        cmd = {"rust": [str(tracker), "track", b.address, movie.name],
               "python": [sys.executable, str(ROOT / "examples" / "track_clip.py"),
                          b.address, movie.name, str(frames / "clip.json")]}[peer]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        print(res.stdout)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "result                       OK" in res.stdout
        keys = b.call("anim.keyframes", target="mask", name="ShapeMask",
                      data_path='layers["shape"].splines[0].points[0].co')["fcurves"]
        assert len(keys[0]["keyframes"]) == 48
        markers = b.call("tracking.markers_get", clip="Shape", track="Shape")["markers"]
        assert [m["frame"] for m in markers] == list(range(1, 49))
