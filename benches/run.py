"""The benchmark harness: nngbridge against pynng 0.9.0, nng 0.2.0 and pyzmq, side by side in
one run, alternating, several repeats, medians and ratios to pynng.

    python benches/run.py --quick     # about a minute
    python benches/run.py --full      # the numbers in docs/benchmarks.md
    python benches/run.py --smoke     # seconds; CI checks that every row is produced
    python benches/run.py --blender   # adds the real-Blender rows (benches/blender) to --quick

Peers for ipc/tcp run in a process started with the "spawn" method (NNG is not fork-safe),
pinned to the other core; the measuring process is pinned to core 0. Round trips over ipc
and tcp are measured twice: with the peer on the other core, and on the same core as the
client. On a VM, waking an idle core costs tens of microseconds, the same for every
library; on one core that cost is gone and what is left is the libraries' own work.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from placement import pin  # noqa: E402  (standalone script: its folder is not a package)
LIBS = ("nngbridge", "pynng", "nng", "zmq")
CONTEXTS = 8  # requests in flight from one client
STALL_MS = 60_000  # a receive this late means the library stalled (see retried)
PORT = 21000  # tcp ports from here: below the ephemeral range (32768+), where dialers bind
STALLS: list[str] = []  # what stalled in this run, and was measured again


def available(lib: str) -> bool:
    try:
        __import__(lib)
        return True
    except ImportError:
        return False


# --- one small adapter per library: open a socket, send bytes, receive ------------------

def open_socket(lib: str, kind: str, url: str, listen: bool, zctx=None,
                timeout_ms: int | None = None):
    """A socket of ``kind``; ``timeout_ms`` bounds its receives (the measuring side's, so
    that a stalled library fails its measurement instead of hanging the run)."""
    if lib in ("nngbridge", "pynng"):
        mod = __import__(lib)
        cls = {"rep": mod.Rep0, "req": mod.Req0, "push": mod.Push0, "pull": mod.Pull0}[kind]
        kw = {} if timeout_ms is None else {"recv_timeout": timeout_ms}
        return cls(listen=url, **kw) if listen else cls(dial=url, **kw)
    if lib == "nng":
        import nng

        cls = {"rep": nng.RepSocket, "req": nng.ReqSocket, "push": nng.PushSocket,
               "pull": nng.PullSocket}[kind]
        s = cls()
        if timeout_ms is not None:
            s.recv_timeout = timeout_ms
        (s.add_listener(url) if listen else s.add_dialer(url)).start()
        return s
    import zmq

    ctx = zctx or zmq.Context.instance()
    s = ctx.socket({"rep": zmq.REP, "req": zmq.REQ, "push": zmq.PUSH, "pull": zmq.PULL}[kind])
    if timeout_ms is not None:
        s.setsockopt(zmq.RCVTIMEO, timeout_ms)
    (s.bind if listen else s.connect)(url)
    return s


def recv_plain(lib: str, s):
    if lib == "nng":
        return bytes(s.recv())
    return s.recv()


def new_context(lib: str, s):
    return s.open_context() if lib == "nng" else s.new_context()


def echo_context(lib: str, ctx) -> None:
    """Answers requests on one context until it is closed."""
    while True:
        try:
            ctx.send(recv_plain(lib, ctx))
        except Exception:  # noqa: BLE001 - each library's "closed" ends the loop
            return


def recv_zero_copy(lib: str, s):
    """Each library's copy-free receive: returns something exposing the body."""
    if lib == "nngbridge":
        return memoryview(s.recv_msg())
    if lib == "pynng":
        return s.recv_msg()._buffer
    if lib == "nng":
        return memoryview(s.recv())
    return s.recv(copy=False).buffer


def url_for(transport: str, tag: str, tmp: str, port: int) -> str:
    if transport == "inproc":
        return f"inproc://bench-{tag}"
    if transport == "ipc":
        return f"ipc://{tmp}/bench-{tag}"
    return f"tcp://127.0.0.1:{port}"


# --- peers: one spawned process per library, serving every measurement's far end -------

def peer_main(lib: str, core: int, tasks, acks) -> None:
    """Runs in the peer process: takes ("echo", url, count) / ("push", url, size, count) /
    ("contexts", url, k) tasks, acknowledges each when ready, and keeps its socket open
    until told "done" (NNG does not flush on close)."""
    pin(core)
    while True:
        task = tasks.get()
        if task is None:
            return
        ctxs: list = []
        servers: list[threading.Thread] = []
        if task[0] == "echo":
            _, url, count = task
            s = open_socket(lib, "rep", url, listen=True)
            acks.put("ready")
            for _ in range(count):
                s.send(recv_plain(lib, s))
        elif task[0] == "contexts":
            _, url, k = task
            s = open_socket(lib, "rep", url, listen=True)
            ctxs = [new_context(lib, s) for _ in range(k)]
            servers = [threading.Thread(target=echo_context, args=(lib, c), daemon=True)
                       for c in ctxs]
            for t in servers:
                t.start()
            acks.put("ready")
        else:
            _, url, size, count = task
            s = open_socket(lib, "push", url, listen=False)
            acks.put("ready")
            payload = b"x" * size
            for _ in range(count):
                s.send(payload)
        assert tasks.get() == "done"
        for c in ctxs:  # contexts first: their closing ends the server threads' recv
            c.close()
        for t in servers:
            t.join(10)
        s.close()
        acks.put("closed")


class Peer:
    """A library's peer process, started once (spawn: NNG is not fork-safe)."""

    def __init__(self, lib: str, core: int) -> None:
        ctx = mp.get_context("spawn")
        self.tasks, self.acks = ctx.Queue(), ctx.Queue()
        self.proc = ctx.Process(target=peer_main, args=(lib, core, self.tasks, self.acks),
                                daemon=True)
        self.proc.start()

    def start(self, *task) -> None:
        self.tasks.put(task)
        assert self.acks.get(timeout=60) == "ready"

    def finish(self) -> None:
        self.tasks.put("done")
        assert self.acks.get(timeout=60) == "closed"

    def stop(self) -> None:
        self.tasks.put(None)
        self.proc.join(10)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(10)


PEERS: dict[tuple[str, int], Peer] = {}


def peer(lib: str, core: int = 1) -> Peer:
    """The library's peer process on ``core`` (its NNG threads, started with its first
    socket, stay on the core it had then: one process per core)."""
    if (lib, core) not in PEERS:
        PEERS[lib, core] = Peer(lib, core)
    return PEERS[lib, core]


# --- measurements -----------------------------------------------------------------------

def round_trip(lib: str, transport: str, n: int, tmp: str, core: int,
               port: int) -> tuple[float, float]:
    """Median and p99 of a 64-byte request/reply round trip, in microseconds; ipc and tcp
    with the peer process on ``core`` (the client is on core 0)."""
    url = url_for(transport, f"rt-{lib}-{port}", tmp, port)
    warm = 200
    payload = b"x" * 64
    if transport == "inproc":
        zctx = None
        if lib == "zmq":
            import zmq

            zctx = zmq.Context()
        rep = open_socket(lib, "rep", url, True, zctx)

        def serve():
            for _ in range(n + warm):
                rep.send(recv_plain(lib, rep))

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        req = open_socket(lib, "req", url, False, zctx)
        far = None
    else:
        far = peer(lib, core)
        far.start("echo", url, n + warm)
        req = open_socket(lib, "req", url, False, timeout_ms=STALL_MS)
    samples = []
    try:
        for i in range(n + warm):
            t0 = time.perf_counter()
            req.send(payload)
            recv_plain(lib, req)
            if i >= warm:
                samples.append(time.perf_counter() - t0)
    finally:
        req.close()
    if far is not None:
        far.finish()
    else:
        t.join(10)
        rep.close()
    samples.sort()
    return statistics.median(samples) * 1e6, samples[int(len(samples) * 0.99)] * 1e6


def throughput(lib: str, transport: str, size: int, count: int, zero_copy: bool, tmp: str,
               port: int) -> float:
    """Messages per second received, one way, from a peer process."""
    url = url_for(transport, f"tp-{lib}-{size}-{port}", tmp, port)
    pull = open_socket(lib, "pull", url, listen=True, timeout_ms=STALL_MS)
    try:
        far = peer(lib)
        far.start("push", url, size, count)
        recv = recv_zero_copy if zero_copy else recv_plain
        first = recv(lib, pull)
        assert len(first) == size
        t0 = time.perf_counter()
        for _ in range(count - 1):
            recv(lib, pull)
        dt = time.perf_counter() - t0
        far.finish()
    finally:
        pull.close()
    return (count - 1) / dt


def alternating(libs: list[str], repeats: int, measure, *args) -> dict[str, list]:
    """Each library's ``repeats`` samples of ``retried(measure, lib, *args)``, the order of
    the libraries reversed every other repeat (A/B, then B/A)."""
    cell: dict[str, list] = {lib: [] for lib in libs}
    for r in range(repeats):
        for lib in (libs if r % 2 == 0 else libs[::-1]):
            cell[lib].append(retried(measure, lib, *args))
    return cell


def retried(measure, lib: str, *args):
    """``measure(lib, *args, port)`` with a fresh port; if the library stalls (a receive
    times out: seen once, pynng's tcp push/pull with both ends blocked), its peer
    process is replaced and the measurement tried once more, and the run says so."""
    global PORT
    for attempt in (1, 2):
        PORT += 1
        try:
            return measure(lib, *args, PORT)
        except Exception as e:  # noqa: BLE001 - each library's own timeout exception
            for key in [k for k in PEERS if k[0] == lib]:
                PEERS.pop(key).kill()
            STALLS.append(f"{lib} {measure.__name__}{args[:3]}: {type(e).__name__}")
            print(f"  {lib} stalled ({type(e).__name__}); new peer, attempt {attempt + 1}",
                  flush=True)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def in_flight(lib: str, transport: str, k: int, seconds: float, tmp: str, port: int) -> float:
    """Requests per second from one client socket with ``k`` contexts, one thread each,
    against a peer answering on ``k`` contexts."""
    url = url_for(transport, f"ctx-{lib}-{port}", tmp, port)
    far = peer(lib)
    far.start("contexts", url, k)
    req = open_socket(lib, "req", url, listen=False, timeout_ms=STALL_MS)
    ctxs = [new_context(lib, req) for _ in range(k)]
    errors: list[Exception] = []
    payload = b"x" * 64
    counts = [0] * k
    start = threading.Barrier(k + 1)
    stop = threading.Event()

    def client(i: int) -> None:
        ctx, n = ctxs[i], 0
        start.wait()
        try:
            while not stop.is_set():
                ctx.send(payload)
                recv_plain(lib, ctx)
                n += 1
        except Exception as e:  # noqa: BLE001 - the library's timeout: re-raised below
            errors.append(e)
            stop.set()
        counts[i] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(k)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    for c in ctxs:
        c.close()
    req.close()
    if errors:
        raise errors[0]
    far.finish()
    return sum(counts) / dt


def memcpy_gbps(size: int = 32 << 20, fresh: bool = False) -> float:
    """The machine's copy bandwidth, best of 5: between two buffers already in memory, or
    (``fresh``) into a new ``bytes``, whose pages the kernel maps and zeroes on first touch
    as it does for every large message a library allocates anew."""
    src, dst = bytearray(size), bytearray(size)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        if fresh:
            bytes(src)
        else:
            memoryview(dst)[:] = src
        best = min(best, time.perf_counter() - t0)
    return size / best / 1e9


# --- the run ----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--full", action="store_true")
    mode.add_argument("--smoke", action="store_true")
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--plots", help="write latency and throughput PNGs into this folder")
    p.add_argument("--blender", action="store_true",
                   help="also run benches/blender (real Blender; always in --full and --smoke)")
    a = p.parse_args(argv)
    if a.full:
        repeats, rt_n, scale, seconds = 5, 5000, 1.0, 3.0
    elif a.smoke:
        repeats, rt_n, scale, seconds = 1, 50, 0.01, 0.2
    else:
        repeats, rt_n, scale, seconds = 3, 1000, 0.1, 1.0
    pin(0)
    libs = [lib for lib in LIBS if available(lib)]
    print(f"peers: {', '.join(libs)}; python {platform.python_version()}; "
          f"{os.cpu_count()} cores", flush=True)
    results: dict = {"round_trip": {}, "throughput": {}, "in_flight": {},
                     "memcpy_gbps": memcpy_gbps(),
                     "memcpy_fresh_gbps": memcpy_gbps(fresh=True)}
    with tempfile.TemporaryDirectory() as tmp:
        placements = [("inproc", "inproc", 0), ("ipc", "ipc", 1), ("tcp", "tcp", 1),
                      ("ipc, one core", "ipc", 0), ("tcp, one core", "tcp", 0)]
        for name, transport, core in placements:
            cell = alternating(libs, repeats, round_trip, transport, rt_n, tmp, core)
            results["round_trip"][name] = {
                lib: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v))
                for lib, v in cell.items()}
            print(f"  round trip over {name}: done", flush=True)
        sizes = [(64, 200_000), (1024, 100_000), (1 << 20, 400), (32 << 20, 12)]
        for transport in ("ipc", "tcp"):
            for size, count in sizes:
                count = max(4, int(count * scale))
                for zero in (False, True):
                    cell = alternating(libs, repeats, throughput, transport, size, count,
                                       zero, tmp)
                    key = f"{transport} {size} B{' zero-copy' if zero else ''}"
                    results["throughput"][key] = {
                        lib: statistics.median(v) for lib, v in cell.items()}
                print(f"  throughput over {transport}: {size} B done", flush=True)
        ctx_libs = [lib for lib in libs if lib != "zmq"]  # zmq has no contexts
        for transport in ("ipc", "tcp"):
            cell = alternating(ctx_libs, repeats, in_flight, transport, CONTEXTS, seconds, tmp)
            results["in_flight"][transport] = {lib: statistics.median(v)
                                               for lib, v in cell.items()}
            print(f"  {CONTEXTS} requests in flight over {transport}: done", flush=True)
    for far in PEERS.values():
        far.stop()
    PEERS.clear()
    results["stalls"] = STALLS
    print(render(results))
    codec = HERE / "codec" / "bench_codec.py"
    if codec.exists():
        sys.path.insert(0, str(codec.parent))
        import bench_codec

        print("\n### Codec (encode + decode)\n")
        print(bench_codec.table(bench_codec.run(1 if a.smoke else repeats,
                                                0.02 if a.smoke else 0.2)))
    if a.blender or a.full or a.smoke:
        sys.path.insert(0, str(HERE / "blender"))
        import bench_blender

        print("\n### Blender\n", flush=True)
        preset = "smoke" if a.smoke else "full" if a.full else "quick"
        results["blender"] = bench_blender.run(bench_blender.PRESETS[preset])
        print(bench_blender.table(results["blender"]))
        import bench_mesh

        results["mesh"] = bench_mesh.run(*bench_mesh.PRESETS[preset])
        print("\n" + bench_mesh.table(results["mesh"]))
    else:
        print("\n### Blender\n\nSkipped: pass --blender (always on in --full and --smoke).")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))
    if a.plots:
        plot(results, Path(a.plots))
    return 0


def plot(results: dict, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    transports = list(results["round_trip"])
    libs = list(next(iter(results["round_trip"].values())))
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(libs)
    for i, lib in enumerate(libs):
        ax.bar([t + i * width for t in range(len(transports))],
               [results["round_trip"][t][lib][0] for t in transports], width, label=lib)
    ax.set_xticks([t + width * (len(libs) - 1) / 2 for t in range(len(transports))], transports)
    ax.set_ylabel("round trip, 64 B (µs, median)")
    ax.set_title("Request/reply latency by transport (lower is better)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(folder / "bench-latency.png", dpi=100)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, transport in zip(axes, ("ipc", "tcp")):
        for lib in libs:
            for zero, style in ((False, "-"), (True, "--")):
                points = []
                for key, cell in results["throughput"].items():
                    parts = key.split()
                    if parts[0] == transport and ("zero-copy" in key) == zero and lib in cell:
                        size = int(parts[1])
                        points.append((size, cell[lib] * size / 1e9))
                points.sort()
                ax.plot([x for x, _ in points], [y for _, y in points], style, marker="o",
                        label=f"{lib}{' zero-copy' if zero else ''}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("message size (bytes)")
        ax.set_title(f"one-way throughput over {transport}")
    axes[0].set_ylabel("GB/s")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(folder / "bench-throughput.png", dpi=100)


def render(results: dict) -> str:
    out = ["\n### Request/reply round trip, 64 B (µs; lower is better)\n",
           "| transport | peer | median | p99 | median vs pynng |", "|---|---|---:|---:|---:|"]
    for transport, cell in results["round_trip"].items():
        base = cell.get("pynng", (None,))[0]
        for lib, (med, p99) in cell.items():
            ratio = f"{med / base:.2f}x" if base else "n/a"
            out.append(f"| {transport} | {lib} | {med:.1f} | {p99:.1f} | {ratio} |")
    mc = results["memcpy_gbps"]
    fresh = results.get("memcpy_fresh_gbps")
    into = f"; into a fresh buffer: {fresh:.1f} GB/s" if fresh else ""
    out += [f"\n### One-way throughput (higher is better; memcpy here: {mc:.1f} GB/s{into})\n",
            "| case | peer | msg/s | GB/s | vs pynng | of memcpy |",
            "|---|---|---:|---:|---:|---:|"]
    for key, cell in results["throughput"].items():
        size = int(key.split()[1])
        base = cell.get("pynng")
        for lib, rate in cell.items():
            gbps = rate * size / 1e9
            ratio = f"{rate / base:.2f}x" if base else "n/a"
            out.append(f"| {key} | {lib} | {rate:,.0f} | {gbps:.3f} | {ratio} | "
                       f"{gbps / mc:.0%} |")
    if results.get("in_flight"):
        out += [f"\n### {CONTEXTS} requests in flight from one client (contexts, one thread "
                "each; 64 B; requests/s, higher is better)\n",
                "| transport | peer | requests/s | vs pynng |", "|---|---|---:|---:|"]
        for transport, cell in results["in_flight"].items():
            base = cell.get("pynng")
            for lib, rate in cell.items():
                ratio = f"{rate / base:.2f}x" if base else "n/a"
                out.append(f"| {transport} | {lib} | {rate:,.0f} | {ratio} |")
        out.append("| | zmq | n/a (no contexts) | |")
    for stall in results.get("stalls", []):
        out.append(f"\nStalled once and measured again: {stall}")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
