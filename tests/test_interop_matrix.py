"""Wire interop with real pynng 0.9.0 (NNG 1.11) in another process, both directions:
req/rep, pub/sub with prefix topics and push/pull, over ipc:// and tcp://127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

import nngbridge

pytest.importorskip("pynng")

PEER = textwrap.dedent(
    """
    import sys, time, pynng
    role, url = sys.argv[1], sys.argv[2]
    if role == "rep":
        with pynng.Rep0(listen=url, recv_timeout=10000) as s:
            print("READY", flush=True)
            s.send(s.recv() + b" via pynng")
            sys.stdin.readline()  # NNG does not flush on close: wait until it arrived
    elif role == "req":
        with pynng.Req0(dial=url, recv_timeout=10000) as s:
            s.send(b"hello"); print(s.recv().decode(), flush=True)
    elif role == "pub":
        with pynng.Pub0(listen=url) as s:
            print("READY", flush=True)
            sys.stdin.readline()  # the subscriber says it has dialed
            for i in range(200):
                s.send(b"log noise"); s.send(b"frame %d" % i); time.sleep(0.005)
    elif role == "sub":
        with pynng.Sub0(dial=url, topics=b"frame", recv_timeout=10000) as s:
            print("READY", flush=True)
            print(s.recv().decode(), flush=True)
    elif role == "push":
        with pynng.Push0(dial=url, send_timeout=10000) as s:
            for i in range(3): s.send(b"job %d" % i)
            sys.stdin.readline()  # NNG does not flush on close: wait until they arrived
    elif role == "pull":
        with pynng.Pull0(listen=url, recv_timeout=10000) as s:
            print("READY", flush=True)
            print(",".join(s.recv().decode() for _ in range(3)), flush=True)
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["ipc", "tcp"])
def url(request, tmp_path):
    if request.param == "ipc":
        return f"ipc://{tmp_path}/interop"
    return f"tcp://127.0.0.1:{free_port()}"


def peer(role: str, url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PEER, role, url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def ready(p: subprocess.Popen) -> None:
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "READY"


def finish(p: subprocess.Popen, release: bool = False) -> str:
    out, _ = p.communicate("done\n" if release else None, timeout=30)
    assert p.returncode == 0
    return out.strip()


def test_req_rep_nngbridge_asks_pynng_answers(url):
    p = peer("rep", url)
    ready(p)
    with nngbridge.Req0(dial=url, recv_timeout=10000) as req:
        req.send(b"hello")
        assert req.recv() == b"hello via pynng"
    finish(p, release=True)


def test_req_rep_pynng_asks_nngbridge_answers(url):
    with nngbridge.Rep0(listen=url, recv_timeout=10000) as rep:
        p = peer("req", url)
        rep.send(rep.recv() + b" via nngbridge")
        assert finish(p) == "hello via nngbridge"


def test_pub_sub_pynng_publishes_nngbridge_subscribes_by_prefix(url):
    p = peer("pub", url)
    ready(p)
    with nngbridge.Sub0(dial=url, topics="frame", recv_timeout=10000) as sub:
        assert p.stdin is not None
        p.stdin.write("dialed\n")
        p.stdin.flush()
        assert sub.recv().startswith(b"frame ")
    finish(p)


def test_pub_sub_nngbridge_publishes_pynng_subscribes_by_prefix(url):
    with nngbridge.Pub0(listen=url) as pub:
        p = peer("sub", url)
        ready(p)
        # Publish until the subscriber has its message (pub/sub drops until connected).
        while p.poll() is None:
            pub.send(b"log noise")
            pub.send(b"frame 7")
            try:
                p.wait(timeout=0.01)
            except subprocess.TimeoutExpired:
                pass
        assert finish(p) == "frame 7"


def test_push_pull_both_ways(url):
    with nngbridge.Pull0(listen=url, recv_timeout=10000) as pull:
        p = peer("push", url)
        assert [pull.recv() for _ in range(3)] == [b"job 0", b"job 1", b"job 2"]
        finish(p, release=True)
    p = peer("pull", url)
    ready(p)
    with nngbridge.Push0(dial=url, send_timeout=10000) as push:
        for i in range(3):
            push.send(b"job %d" % i)
        assert finish(p) == "job 0,job 1,job 2"
