"""Blender benchmarks (issue 5): the nngbridge add-on in a real Blender against a
JSON-over-TCP server built the way today's Blender bridges are (json_tcp_server.py), in
background (``blender -b``) and GUI mode (under Xvfb), next to the floors.

    python benches/blender/bench_blender.py             # both modes, 1080p, 1,000 creations
    python benches/blender/bench_blender.py --smoke     # background, 64x64, 10 creations
    python benches/blender/bench_blender.py --modes background --json out.json

Rows per mode, each from a fresh Blender per server:
* command round trip (median, p99): ``session.ping`` / ``{"type": "ping"}``;
* 1,000 object creations: nngbridge one ``batch`` of ``object.create``, JSON-TCP 1,000
  sequential requests (how such bridges do it); both make a bmesh cube per object. In
  the GUI every request redraws the growing scene: one round there, and the sequential
  requests stop after a time budget (the table then says how many were done);
* fetching a float RGBA image's pixels: ``image.pixels_get`` (MessagePack ``bin``) /
  base64 of the float32 bytes in JSON, decoded by the client;
* floors: ``foreach_get`` into a preallocated buffer, measured inside the same Blender
  before it serves (foreach_get_floor.py prints it; no ``exec``); the raw round trip and
  one raw transfer of the same bytes Python to Python without Blender, over the same
  transport (TCP on loopback): nngbridge Req0/Rep0 for the nngbridge column, a plain
  socket for the JSON-TCP column.

Targets (issue 5): background round trip <= 2 x the raw round trip; image fetch <= 1.5 x
(foreach_get floor + raw transfer). Blender and the floor peers run pinned to core 1, the
client to core 0; in background mode the round trip and its floor are measured again with
everything on core 0 (a VM's cross-core wake-up, the same for Blender and its floor, is
then gone and the add-on's own work shows). Blender gets the cp311 wheel from dist/
(scripts/build-wheels.sh).
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import nngbridge
from nngbridge import tokens

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))
from placement import pin  # noqa: E402  (standalone script: benches/ is not a package)
IMAGE = "BenchPlate"
SERVERS = ("nngbridge", "json-tcp")
MODES = ("background", "gui")
WARM_PINGS = 20
START_TIMEOUT_S = 180.0
CALL_TIMEOUT_S = 600.0
MARKER = "BENCH_FLOOR "  # the line foreach_get_floor.py prints


class BenchError(RuntimeError):
    """A benchmark could not run (no Blender, no wheel, a server that failed)."""


@dataclass(frozen=True)
class Config:
    modes: tuple[str, ...] = MODES
    width: int = 1920
    height: int = 1080
    creations: int = 1000
    pings: int = 300
    fetches: int = 5
    repeats: int = 2  # rounds of creations per server in background (the GUI does one)
    budget_s: float = 120.0  # sequential creations stop after this long (see JsonClient)


PRESETS = {
    "smoke": Config(modes=("background",), width=64, height=64, creations=10, pings=20,
                    fetches=2, repeats=1),
    "quick": Config(),
    "full": Config(pings=1000, fetches=10, repeats=3, budget_s=300.0),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median_p99(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


# --- Blender --------------------------------------------------------------------------

def install_wheel(scripts: Path, wheel: Path | None = None) -> Path:
    """Installs nngbridge into a throwaway BLENDER_USER_SCRIPTS (its addons/modules is on
    Blender's sys.path once it exists)."""
    if wheel is None:
        wheels = sorted((ROOT / "dist").glob("nngbridge-*-cp311-abi3-*.whl"))
        if not wheels:
            raise BenchError("no cp311 wheel in dist/: run scripts/build-wheels.sh")
        wheel = wheels[-1]
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                          str(scripts / "addons" / "modules"), str(wheel)],
                         capture_output=True, text=True, timeout=300)
    if pip.returncode != 0:
        raise BenchError(f"could not install {wheel} for Blender:\n{pip.stderr[-2000:]}")
    return wheel


def startup_script(server: str, gui: bool, address: str, port: int, cfg: Config) -> str:
    body = (f"import sys\nsys.path.insert(0, {str(HERE)!r})\n"
            "import foreach_get_floor\n"
            f"foreach_get_floor.measure({IMAGE!r}, {cfg.width}, {cfg.height}, 10)\n")
    if server == "json-tcp":
        return body + ("import json_tcp_server\n"
                       f"json_tcp_server.{'start' if gui else 'serve'}({port})\n")
    if not gui:
        return body + f"import nngbridge.blender as b\nb.serve({address!r})\n"
    return body + (f"import bpy, nngbridge.blender as b\nb.start({address!r})\n"
                   "def _quit_when_stopped():\n"
                   "    if b._server is None:\n"
                   "        bpy.ops.wm.quit_blender()\n"
                   "        return None\n"
                   "    return 0.1\n"
                   "bpy.app.timers.register(_quit_when_stopped, first_interval=1.0,"
                   " persistent=True)\n")


class Blender:
    """One Blender serving one server kind; waits for its floor line and its ready line."""

    def __init__(self, scripts: Path, workdir: Path, server: str, gui: bool, cfg: Config,
                 core: int = 1):
        self.server, self.gui, self.core = server, gui, core
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.script = workdir / f"start-{server}-{'gui' if gui else 'bg'}.py"
        self.script.write_text(startup_script(server, gui, self.address, self.port, cfg))
        self.scripts = scripts
        self.lines: list[str] = []
        self.floor: dict[str, Any] = {}

    def command(self) -> list[str]:
        blender = shutil.which("blender")
        if not blender:
            raise BenchError("no blender on PATH (scripts/setup.sh installs Debian's)")
        cmd = [blender, "--factory-startup", "--python-exit-code", "1"]
        if self.gui:
            cmd += ["--window-geometry", "0", "0", "640", "480"]
        else:
            cmd.insert(1, "-b")
        cmd += ["--python", str(self.script)]
        if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
            cmd = ["taskset", "-c", str(self.core % (os.cpu_count() or 1)), *cmd]
        if self.gui:
            if not shutil.which("xvfb-run"):
                raise BenchError("GUI mode needs xvfb-run (apt install xvfb)")
            # A small screen: under Xvfb every redraw is software GL (DESIGN, Known traps).
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 640x480x24", *cmd]
        return cmd

    def __enter__(self) -> Blender:
        env = dict(os.environ, BLENDER_USER_SCRIPTS=str(self.scripts))
        env.pop("PYTHONPATH", None)
        # Its own process group: killing xvfb-run alone would leave Xvfb and Blender behind.
        self.proc = subprocess.Popen(self.command(), env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        ready = threading.Event()
        ready_line = "json-tcp: serving" if self.server == "json-tcp" else "nngbridge: serving"

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if line.startswith(MARKER):
                    self.floor = json.loads(line[len(MARKER):])
                if line.startswith(ready_line):
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(START_TIMEOUT_S) or self.proc.poll() is not None or not self.floor:
            self.kill()
            raise BenchError(f"Blender ({self.server}) did not start serving:\n"
                             + "\n".join(self.lines[-30:]))
        return self

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is not None:
            self.kill()
            return
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise BenchError(f"Blender ({self.server}) did not exit after shutdown") from None
        if code != 0:
            raise BenchError(f"Blender ({self.server}) exited with {code}:\n"
                             + "\n".join(self.lines[-30:]))


# --- the two clients --------------------------------------------------------------------

class NngClient:
    """The scene protocol over nngbridge's Req0 (docs/protocol.md)."""

    def __init__(self, address: str) -> None:
        # No resends: a batch in the GUI may take longer than NNG's default minute.
        self.sock = nngbridge.Req0(dial=address, recv_timeout=int(CALL_TIMEOUT_S * 1000),
                                   resend_time=-1)
        self.id = 0
        self.token = tokens.read_token(address)  # the server generated it (§7.1)

    def call(self, cmd: str, **args: Any) -> Any:
        self.id += 1
        self.sock.send(nngbridge.packb({"v": 1, "id": self.id, "cmd": cmd, "args": args,
                                        "token": self.token}))
        # Decoded straight from the received message (cp311 wheel: no copy into bytes
        # first), as a client of nngbridge would: the pixels are copied once, into the
        # result's bytes, like the raw floor's one copy out of the message.
        msg = self.sock.recv_msg() if nngbridge._nng.BUFFER_PROTOCOL else self.sock.recv()
        reply = nngbridge.unpackb(msg)
        if not reply.get("ok") or reply.get("id") != self.id:
            raise BenchError(f"{cmd}: {reply.get('error')}")
        return reply["result"]

    def ping(self) -> None:
        self.call("session.ping")

    def create(self, names: list[str], budget_s: float) -> int:
        result = self.call("batch", commands=[
            {"cmd": "object.create", "args": {"type": "CUBE", "name": n}} for n in names])
        if result["applied"] != len(names):
            raise BenchError(f"batch applied {result['applied']} of {len(names)}")
        return len(names)

    def pixels(self, name: str) -> int:
        return len(self.call("image.pixels_get", name=name)["data"])

    def close(self) -> None:
        self.call("session.shutdown")
        self.sock.close()


class JsonClient:
    """A line-per-request JSON client, as such bridges' clients are."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CALL_TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def call(self, kind: str, **params: Any) -> Any:
        self.sock.sendall(json.dumps({"type": kind, "params": params}).encode() + b"\n")
        line = self.reader.readline()
        if not line:
            raise BenchError(f"{kind}: the JSON-TCP server closed the connection")
        reply = json.loads(line)
        if reply.get("status") != "success":
            raise BenchError(f"{kind}: {reply.get('message')}")
        return reply["result"]

    def ping(self) -> None:
        self.call("ping")

    def create(self, names: list[str], budget_s: float) -> int:
        """One request per object; stops after ``budget_s``: in the GUI every request
        redraws a growing scene, and 1,000 of them can take many minutes."""
        deadline = time.perf_counter() + budget_s
        for i, n in enumerate(names):
            self.call("create_object", name=n)
            if time.perf_counter() > deadline:
                return i + 1
        return len(names)

    def pixels(self, name: str) -> int:
        return len(base64.b64decode(self.call("get_image_pixels", name=name)["pixels"]))

    def close(self) -> None:
        self.call("shutdown")
        self.reader.close()
        self.sock.close()


def pings(client: NngClient | JsonClient, cfg: Config) -> tuple[float, float]:
    """Median and p99 of ``cfg.pings`` command round trips, after a warm-up."""
    for _ in range(WARM_PINGS):
        client.ping()
    samples = []
    for _ in range(cfg.pings):
        t0 = time.perf_counter()
        client.ping()
        samples.append(time.perf_counter() - t0)
    return median_p99(samples)


def measure(client: NngClient | JsonClient, cfg: Config, rounds: int) -> dict[str, float]:
    """The same rows for either client; names match so both Blenders do the same work.
    Creations come last: in the GUI every later redraw draws what they made.
    ``created`` < ``creations`` means the time budget ran out first."""
    rt_med, rt_p99 = pings(client, cfg)
    size = cfg.width * cfg.height * 4 * 4
    if client.pixels(IMAGE) != size:  # also the warm-up: buffers, pages
        raise BenchError(f"the pixel fetch did not return {size} bytes")
    fetches = []
    for _ in range(cfg.fetches):
        t0 = time.perf_counter()
        client.pixels(IMAGE)
        fetches.append(time.perf_counter() - t0)
    creations, created = [], cfg.creations
    for r in range(rounds):
        names = [f"Bench{r}_{i:05d}" for i in range(cfg.creations)]
        t0 = time.perf_counter()
        created = min(created, client.create(names, cfg.budget_s))
        creations.append(time.perf_counter() - t0)
    return {"rt_median_s": rt_med, "rt_p99_s": rt_p99, "create_s": statistics.median(creations),
            "created": created, "fetch_s": statistics.median(fetches), "bytes": size}


# --- the floors: Python to Python, no Blender ---------------------------------------------

def nng_floor_peer(url: str, size: int, ready: Any, core: int) -> None:
    pin(core)
    rep = nngbridge.Rep0(listen=url)
    payload = bytes(size)
    ready.set()
    while True:
        msg = rep.recv()
        rep.send(payload if msg == b"P" else msg)
        if msg == b"Q":
            break
    time.sleep(0.2)  # NNG does not flush on close
    rep.close()


def tcp_floor_peer(port: int, size: int, ready: Any, core: int) -> None:
    pin(core)
    with socket.create_server(("127.0.0.1", port)) as srv:
        ready.set()
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        payload = bytes(size)
        with conn, conn.makefile("rb") as lines:
            for line in lines:
                if line == b"Q\n":
                    break
                conn.sendall(payload if line == b"P\n" else line)


def raw_floor(kind: str, cfg: Config, core: int = 1) -> dict[str, float]:
    """Raw round trip (the request the client sends for a ping, echoed) and one raw
    transfer of the image's bytes, over nngbridge (``kind`` "nngbridge") or a plain socket,
    with the far peer on ``core``."""
    size = cfg.width * cfg.height * 4 * 4
    spawn = mp.get_context("spawn")
    port = free_port()
    ready = spawn.Event()
    if kind == "nngbridge":
        url = f"tcp://127.0.0.1:{port}"
        proc = spawn.Process(target=nng_floor_peer, args=(url, size, ready, core))
    else:
        proc = spawn.Process(target=tcp_floor_peer, args=(port, size, ready, core))
    proc.start()
    try:
        if not ready.wait(60):
            raise BenchError(f"the {kind} floor peer did not start")
        if kind == "nngbridge":
            req = nngbridge.Req0(dial=url, recv_timeout=60_000)
            ping = nngbridge.packb({"v": 1, "id": 1, "cmd": "session.ping", "args": {}})

            def round_trip(body: bytes) -> int:
                req.send(body)
                return len(req.recv())

            big, quit_, close = b"P", b"Q", req.close
        else:
            sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = sock.makefile("rb")
            ping = json.dumps({"type": "ping", "params": {}}).encode() + b"\n"

            def round_trip(body: bytes) -> int:
                sock.sendall(body)
                return len(reader.read(size) if body == b"P\n" else reader.readline())

            big, quit_ = b"P\n", b"Q\n"

            def close() -> None:
                reader.close()
                sock.close()
        for _ in range(WARM_PINGS):
            round_trip(ping)
        samples = []
        for _ in range(cfg.pings):
            t0 = time.perf_counter()
            round_trip(ping)
            samples.append(time.perf_counter() - t0)
        if round_trip(big) != size:
            raise BenchError(f"the {kind} floor peer sent the wrong size")
        transfers = []
        for _ in range(cfg.fetches):
            t0 = time.perf_counter()
            round_trip(big)
            transfers.append(time.perf_counter() - t0)
        if kind == "nngbridge":
            round_trip(quit_)
        else:
            sock.sendall(quit_)
        close()
        rt_med, rt_p99 = median_p99(samples)
        return {"raw_rt_median_s": rt_med, "raw_rt_p99_s": rt_p99,
                "raw_transfer_s": statistics.median(transfers)}
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.terminate()
            proc.join()


# --- the run ----------------------------------------------------------------------------

def run(cfg: Config, wheel: Path | None = None, log: Any = print) -> dict[str, Any]:
    """Every mode of ``cfg``, nngbridge then JSON-TCP (the order alternates between modes),
    each server's raw floor measured just before its Blender starts (the machine's load
    drifts); returns a JSON-ready dict (seconds)."""
    pin(0)
    results: dict[str, Any] = {"config": asdict(cfg), "modes": {}}
    with tempfile.TemporaryDirectory(prefix="nngbridge-bench-blender-") as tmp:
        scripts = Path(tmp) / "scripts"
        results["wheel"] = install_wheel(scripts, wheel).name
        for m, mode in enumerate(cfg.modes):
            if mode not in MODES:
                raise BenchError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
            cell: dict[str, Any] = {}
            for server in (SERVERS if m % 2 == 0 else SERVERS[::-1]):
                floor = raw_floor(server, cfg)
                with Blender(scripts, Path(tmp), server, mode == "gui", cfg) as blender:
                    # The GUI redraws the growing scene: one round there.
                    rounds = cfg.repeats if mode == "background" else 1
                    row = serve(blender, f"in {mode}", partial(measure, cfg=cfg, rounds=rounds))
                    row["foreach_get_s"] = blender.floor["median_s"]
                    cell[server] = {**row, **floor}
                if mode == "background":
                    cell[server].update(one_core(scripts, Path(tmp), server, cfg))
                log(f"  blender {mode}: {server} done")
            results["modes"][mode] = {s: cell[s] for s in SERVERS}
    return results


def serve(blender: Blender, where: str, work: Any) -> Any:
    """Runs ``work(client)`` against ``blender``'s server with the matching client, then
    shuts the server down; a failure carries Blender's last output."""
    client: NngClient | JsonClient = (
        NngClient(blender.address) if blender.server == "nngbridge"
        else JsonClient(blender.port))
    try:
        out = work(client)
        client.close()
    except (OSError, nngbridge.NNGException, BenchError) as e:
        raise BenchError(f"{blender.server} {where}: {type(e).__name__}: {e}\n"
                         + "\n".join(blender.lines[-30:])) from e
    return out


def one_core(scripts: Path, workdir: Path, server: str, cfg: Config) -> dict[str, float]:
    """The background round trip and its raw floor again, Blender and the floor peer on
    the client's core."""
    floor = raw_floor(server, cfg, core=0)
    with Blender(scripts, workdir, server, False, cfg, core=0) as blender:
        med, p99 = serve(blender, "on one core", partial(pings, cfg=cfg))
    return {"rt1_median_s": med, "rt1_p99_s": p99, "raw_rt1_median_s": floor["raw_rt_median_s"]}


def number(x: float) -> str:
    """Three significant digits or more, thousands separated."""
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 1 else f"{x:.3g}"


def table(results: dict[str, Any]) -> str:
    """Markdown: a table per mode (nngbridge, JSON-TCP, their ratio) and the target ratios."""
    cfg = results["config"]
    w, h, n = cfg["width"], cfg["height"], cfg["creations"]
    mib = w * h * 16 / (1 << 20)
    out = []
    for mode, cell in results["modes"].items():
        nb, js = cell["nngbridge"], cell["json-tcp"]
        title = "background (`blender -b`)" if mode == "background" else \
            "GUI (Xvfb, 640x480, timer pump)"
        out += [f"\n#### {title}\n",
                "| row | nngbridge | JSON-TCP | nngbridge ÷ JSON-TCP |", "|---|---:|---:|---:|"]
        rows = [
            ("command round trip, median (µs)", nb["rt_median_s"], js["rt_median_s"], 1e6),
            ("command round trip, p99 (µs)", nb["rt_p99_s"], js["rt_p99_s"], 1e6),
            ("command round trip, one core, median (µs)", nb.get("rt1_median_s"),
             js.get("rt1_median_s"), 1e6),
            (f"{n:,} object creations (ms; one batch / {n:,} requests)", nb["create_s"],
             js["create_s"], 1e3),
            (f"{w}x{h} RGBA float fetch, {mib:.1f} MiB (ms)", nb["fetch_s"], js["fetch_s"], 1e3),
            ("floor: foreach_get into a preallocated buffer (ms)", nb["foreach_get_s"],
             js["foreach_get_s"], 1e3),
            ("floor: raw round trip, no Blender (µs)", nb["raw_rt_median_s"],
             js["raw_rt_median_s"], 1e6),
            ("floor: raw round trip, one core (µs)", nb.get("raw_rt1_median_s"),
             js.get("raw_rt1_median_s"), 1e6),
            ("floor: raw transfer of the same bytes, no Blender (ms)", nb["raw_transfer_s"],
             js["raw_transfer_s"], 1e3),
        ]
        for label, a, b, unit in rows:
            if a is None or b is None:  # the one-core rows: background only
                continue
            cells = [number(a * unit), number(b * unit), f"{a / b:.2f}x"]
            if "creations" in label and js["created"] < n:  # stopped by the time budget
                cells[1:] = [f"> {cells[1]} ({js['created']:,} done)", f"< {cells[2]}"]
            out.append(f"| {label} | {' | '.join(cells)} |")
            if "fetch" in label:
                out.append(f"| fetch rate (GB/s) | {number(nb['bytes'] / a / 1e9)} | "
                           f"{number(js['bytes'] / b / 1e9)} | |")
        out.append("")
        for name, r in (("nngbridge", nb), ("JSON-TCP", js)):
            rt = r["rt_median_s"] / r["raw_rt_median_s"]
            fetch = r["fetch_s"] / (r["foreach_get_s"] + r["raw_transfer_s"])
            rt1 = r["rt1_median_s"] / r["raw_rt1_median_s"] if "rt1_median_s" in r else None
            verdict = ""
            if name == "nngbridge" and mode == "background":
                rts = [rt] if rt1 is None else [rt, rt1]
                verdict = (f" (targets: ≤ 2x {'met' if max(rts) <= 2 else 'missed'}, ≤ 1.5x "
                           f"{'met' if fetch <= 1.5 else 'missed'})")
            one = "" if rt1 is None else f" ({rt1:.2f}x on one core)"
            out.append(f"* {name}: round trip {rt:.2f}x its raw round trip{one}; fetch "
                       f"{fetch:.2f}x (foreach_get + its raw transfer){verdict}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    preset = p.add_mutually_exclusive_group()
    for name in PRESETS:
        preset.add_argument(f"--{name}", action="store_const", const=name, dest="preset")
    p.add_argument("--modes", help="comma-separated: background,gui (default: the preset's)")
    p.add_argument("--budget", type=float,
                   help="seconds after which sequential creations stop (default: the preset's)")
    p.add_argument("--wheel", type=Path, help="the cp311 nngbridge wheel (default: dist/)")
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args(argv)
    cfg = PRESETS[a.preset or "quick"]
    if a.modes:
        cfg = Config(**{**asdict(cfg), "modes": tuple(a.modes.split(","))})
    if a.budget:
        cfg = Config(**{**asdict(cfg), "budget_s": a.budget})
    try:
        results = run(cfg, a.wheel)
    except BenchError as e:
        print(f"bench_blender: {e}", file=sys.stderr)
        return 1
    print(table(results))
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
