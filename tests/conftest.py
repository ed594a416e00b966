"""Shared fixtures for the pynng-compatibility suite.

``nng`` is the module under test. By default it is ``nngbridge`` only (what CI checks);
``--impl pynng`` runs the same tests against real pynng 0.9.0 (how the tests themselves are
validated) and ``--impl both`` runs each test twice. A test that needs nngbridge fails,
never skips, when nngbridge cannot be imported or lacks a name the test uses.
Tests marked ``nngbridge_only`` (features pynng does not have) run only when nngbridge is
among the selected implementations.
"""

from __future__ import annotations

import importlib
import itertools
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

import bpy_pypi

IMPLS = ("pynng", "nngbridge")
PEERS = Path(__file__).parent / "peers"
_counter = itertools.count()


def pytest_addoption(parser):
    parser.addoption(
        "--impl",
        choices=["pynng", "nngbridge", "both"],
        default="nngbridge",
        help="module the pynng-compatibility tests run against (default: nngbridge)",
    )


def pytest_report_header(config):
    import bpy_pypi

    return bpy_pypi.header()


def pytest_configure(config):
    bpy_pypi.unshadow_system_python()
    config.addinivalue_line(
        "markers", "nngbridge_only: behaviour beyond pynng; runs only against nngbridge"
    )


def selected_impls(config) -> list[str]:
    choice = config.getoption("--impl")
    return list(IMPLS) if choice == "both" else [choice]


def pytest_generate_tests(metafunc):
    if "nng" in metafunc.fixturenames:
        metafunc.parametrize("nng", selected_impls(metafunc.config), indirect=True)


def pytest_collection_modifyitems(config, items):
    if "nngbridge" in selected_impls(config):
        return
    skip = pytest.mark.skip(reason="nngbridge_only: run with --impl nngbridge or both")
    for item in items:
        if item.get_closest_marker("nngbridge_only"):
            item.add_marker(skip)


def import_impl(name: str):
    try:
        return importlib.import_module(name)
    except Exception as e:  # noqa: BLE001 - any import failure is a test failure
        pytest.fail(f"cannot import {name}: {type(e).__name__}: {e}", pytrace=False)


@pytest.fixture
def nng(request):
    """The module under test: ``pynng`` or ``nngbridge``."""
    return import_impl(request.param)


@pytest.fixture
def nngbridge():
    """nngbridge itself, for tests of what pynng does not have."""
    return import_impl("nngbridge")


@pytest.fixture
def inproc(request):
    """A fresh ``inproc://`` address, unique within the run."""
    return f"inproc://{request.node.name}-{next(_counter)}"


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tcp_addr():
    return f"tcp://127.0.0.1:{free_tcp_port()}"


@pytest.fixture
def ipc_addr():
    # Short path: AF_UNIX paths are limited to ~107 bytes.
    with tempfile.TemporaryDirectory(prefix="nngt") as d:
        yield f"ipc://{d}/s{next(_counter)}"


@pytest.fixture(params=["inproc", "ipc", "tcp"])
def any_addr(request, inproc):
    if request.param == "inproc":
        return inproc
    if request.param == "tcp":
        return f"tcp://127.0.0.1:{free_tcp_port()}"
    d = tempfile.mkdtemp(prefix="nngt")
    request.addfinalizer(lambda: _rmtree(d))
    return f"ipc://{d}/s"


def _rmtree(d):
    import shutil

    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def addon_from_sources():
    """Blenders that tests/blender_harness.py starts run the add-on from the repository's
    sources (plus the built native module), not from a wheel that may predate them."""
    import blender_harness
    from blender_scripts.modules import install_sources

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blender_harness, "install_wheel", install_sources)
        yield


# Positive waits: how long something that must happen may take on a loaded machine (a
# loaded 2-core machine stalls processes for seconds); only a failing test waits this long.
POSITIVE_WAIT_S = 30.0


def wait_for(cond, timeout=POSITIVE_WAIT_S, what="condition"):
    """Poll a condition NNG reports asynchronously and pynng offers no event for
    (pipe bookkeeping). Fails the test on timeout."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            pytest.fail(f"{what} never became true within {timeout} s")
        time.sleep(0.002)


def thread_state(pid: int, tid: int) -> str:
    """The kernel's scheduling state of a thread ("R" running, "S" asleep in a syscall)."""
    stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0]


def wait_until_asleep(pid: int, tid: int, timeout: float = 30.0) -> None:
    """Wait until a thread sleeps in the kernel: for a process's only Python thread, past
    its last bytecode and inside the blocking call. Seen asleep twice, with the GIL
    released in between, so it is not merely waiting for the GIL."""
    seen = [0]

    def asleep():
        seen[0] = seen[0] + 1 if thread_state(pid, tid) == "S" else 0
        return seen[0] >= 2

    wait_for(asleep, timeout, f"thread {tid} asleep")


def connected_pipes(sock, n=1, timeout=POSITIVE_WAIT_S):
    wait_for(lambda: len(sock.pipes) >= n, timeout, f"{n} pipe(s) connected")
    return sock.pipes


class Waiter:
    """A thread-safe event carrying a value, for callbacks run on NNG's threads."""

    def __init__(self):
        self.event = threading.Event()
        self.values = []
        self.lock = threading.Lock()

    def __call__(self, value):
        with self.lock:
            self.values.append(value)
        self.event.set()

    def wait(self, timeout=POSITIVE_WAIT_S):
        assert self.event.wait(timeout), "callback never ran"
        return self.values


def child_env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


PYTHON = sys.executable


class PeerProcess:
    """A peer script in tests/peers/ run as a child process that speaks a line protocol:
    its stdout lines are read by a thread, ``next_line`` waits for one (failing the test
    with the peer's stderr if it exits), ``tell`` writes one to its stdin, and ``close``
    ends stdin and requires exit status 0."""

    def __init__(self, script: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(PEERS / script), *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def next_line(self, timeout: float = 20) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"peer said nothing for {timeout} s")
        if line is None:
            assert self.proc.stderr is not None
            pytest.fail("peer exited: " + self.proc.stderr.read())
        return line

    def tell(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        finally:
            self.proc.kill()
        assert self.proc.stderr is not None
        assert self.proc.returncode == 0, self.proc.stderr.read()


class PostConnect:
    """Counts post-connect pipe events on a socket: the moment its protocol can use the
    pipe (``sock.pipes`` already lists a pipe at pre-connect time, when a best-effort
    send such as Pub or Bus may still skip it). Create it before listen/dial."""

    def __init__(self, sock):
        self.count = 0
        self.cond = threading.Condition()
        sock.add_post_pipe_connect_cb(self._connected)

    def _connected(self, pipe):
        with self.cond:
            self.count += 1
            self.cond.notify_all()

    def wait(self, n=1, timeout=POSITIVE_WAIT_S):
        with self.cond:
            ok = self.cond.wait_for(lambda: self.count >= n, timeout)
        if not ok:
            pytest.fail(f"{n} pipe(s) never reached post-connect (saw {self.count})")
