"""Blender workers that join a pool (``nngbridge.blender.serve(join=...)``,
docs/pool.md): used by tests/test_blender_pool.py and the main job's pool run
(scripts/pool-demo.py)."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable

from blender_harness import install_wheel, work_dir

TOKEN = "pool-test-token"


class Lines:
    """A process's output lines, readable with a timeout."""

    def __init__(self, stream: Any) -> None:
        self.q: queue.Queue[str | None] = queue.Queue()
        self.all: list[str] = []

        def pump() -> None:
            for line in stream:
                self.all.append(line.rstrip("\n"))
                self.q.put(line.rstrip("\n"))
            self.q.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, text: str, timeout: float = 120.0) -> str:
        while True:
            line = self.q.get(timeout=timeout)
            assert line is not None, f"ended before {text!r}:\n" + "\n".join(self.all[-30:])
            if text in line:
                return line


class Worker:
    """A ``blender -b`` that joins the pool at ``join`` as ``name`` (``serve(join=...)``)
    with ``tmp/work`` as its work directory; ``before``: Python run before it serves;
    ``install``: puts nngbridge into its user scripts (the wheel in dist/ by default);
    ``prefix``: a command it runs under (``ip netns exec NS``); ``gui``: Blender's UI under
    Xvfb instead, the add-on's timer pumping (``start(join=...)``)."""

    def __init__(self, tmp: Path, name: str, join: str, token: str = TOKEN,
                 before: str = "", install: Callable[[Path], None] = install_wheel,
                 prefix: tuple[str, ...] = (), gui: bool = False, **kw: Any) -> None:
        self.name = name
        home = tmp / "workers" / name
        scripts = home / "scripts"
        install(scripts)
        work = work_dir(tmp)
        kwargs = "".join(f", {k}={v!r}" for k, v in kw.items())
        script = home / "worker.py"
        call = (f"join={join!r}, token={token!r}, worker_id={name!r}, "
                f"work_dir={str(work)!r}{kwargs}")
        script.write_text(
            f"import nngbridge.blender as b\n{before}\n" +
            (f"b.start({call})\n" if gui else
             f"n = b.serve({call})\nprint('SERVED', n, flush=True)\n"))
        env = dict(os.environ, BLENDER_USER_SCRIPTS=str(scripts))
        env.pop("PYTHONPATH", None)
        blender = shutil.which("blender") or "blender"
        mode = (["--window-geometry", "0", "0", "640", "480"] if gui else ["-b"])
        xvfb = ["xvfb-run", "-a", "-s", "-screen 0 640x480x24"] if gui else []
        # Its own process group: kill() ends Blender and, in the GUI, Xvfb with it.
        self.proc = subprocess.Popen(
            [*prefix, *xvfb, blender, *mode, "--factory-startup", "--python-exit-code", "1",
             "--python", str(script)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.out = Lines(self.proc.stdout)
        self.out.wait_for("nngbridge: serving", timeout=600)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
