"""Wire interop: the module under test in this process, real pynng 0.9.0 (NNG 1.11) in a
child process (tests/peers/interop_peer.py), over ipc:// and tcp://, with either side
listening: req/rep, pub/sub with prefix topics (str and bytes), push/pull.

Synchronisation uses the peer's READY line and, for pub/sub, a probe the publisher repeats
until the subscriber has seen one (acknowledged over stdin/stdout); no fixed sleeps.
With ``--impl pynng`` both ends are pynng, which validates the peer script itself."""

from __future__ import annotations

import queue
import tempfile

import pytest
from conftest import PeerProcess, free_tcp_port

pytestmark = pytest.mark.timeout(60)

SEQUENCE = [b"keep 1", b"drop 1", b"also 2", b"kee", b"keep 3", b"END"]
EXPECTED = [b"keep 1", b"also 2", b"keep 3", b"END"]
TOPICS = ["keep", b"also", b"END"]
PROBE = b"keep probe"


class Peer(PeerProcess):
    """A pynng process speaking the line protocol of tests/peers/interop_peer.py."""

    def __init__(self, role, how, url):
        super().__init__("interop_peer.py", "pynng", role, how, url)

    def expect(self, word, timeout=20):
        line = self.next_line(timeout)
        assert line.split()[0] == word, line
        return line

    def received(self):
        """GOT lines until DONE, as bytes, probes left out."""
        got = []
        while True:
            line = self.next_line()
            if line == "DONE":
                return [m for m in got if m != PROBE]
            word, hexdata = line.split()
            assert word == "GOT", line
            got.append(bytes.fromhex(hexdata))


@pytest.fixture(params=["ipc", "tcp"])
def url(request):
    if request.param == "tcp":
        return f"tcp://127.0.0.1:{free_tcp_port()}"
    d = tempfile.TemporaryDirectory(prefix="nngi")
    request.addfinalizer(d.cleanup)
    return f"ipc://{d.name}/interop"


@pytest.fixture
def peer_factory():
    peers = []

    def make(role, how, url):
        peer = Peer(role, how, url)
        peers.append(peer)
        return peer

    yield make
    for p in peers:
        if p.proc.poll() is None:
            p.proc.kill()


def we_answer(nng, rep, peer):
    while True:
        msg = rep.recv_msg()
        assert isinstance(msg.pipe, nng.Pipe)
        if msg.bytes == b"END":
            rep.send(b"bye")
            break
        rep.send(b"re:" + msg.bytes)
    peer.expect("OK")


def we_ask(nng, req, peer):
    ctx = req.new_context()
    for i in range(20):
        (ctx if i % 2 else req).send(b"q%d" % i)
        assert (ctx if i % 2 else req).recv() == b"re:q%d" % i
    req.send(b"END")
    assert req.recv() == b"bye"
    ctx.close()
    peer.expect("DONE")


def we_publish(nng, pub, peer):
    # Publish probes until the subscriber has one: its subscription is then live.
    while True:
        pub.send(PROBE)
        try:
            line = peer.lines.get(timeout=0.02)
        except queue.Empty:
            continue
        assert line == "GOT " + PROBE.hex(), line
        break
    for m in SEQUENCE:
        pub.send(m)
    assert peer.received() == EXPECTED


def we_subscribe(nng, sub, peer):
    assert sub.recv() == PROBE
    peer.tell("GO")
    got = []
    while not got or got[-1] != b"END":
        m = sub.recv()
        if m != PROBE:
            got.append(m)
    assert got == EXPECTED
    peer.tell("BYE")


def we_push(nng, push, peer):
    for m in SEQUENCE:
        push.send(m)
    assert peer.received() == SEQUENCE


def we_pull(nng, pull, peer):
    assert [pull.recv() for _ in SEQUENCE] == SEQUENCE
    peer.tell("BYE")


# (our socket, options, the peer's role, the exchange once connected)
CASES = {
    "req_rep_we_answer": ("Rep0", {"recv_timeout": 20_000}, "req", we_answer),
    "req_rep_we_ask": ("Req0", {"recv_timeout": 20_000}, "rep", we_ask),
    "pub_sub_we_publish": ("Pub0", {}, "sub", we_publish),
    "pub_sub_we_subscribe": ("Sub0", {"topics": TOPICS, "recv_timeout": 20_000}, "pub",
                             we_subscribe),
    "push_pull_we_push": ("Push0", {"send_timeout": 20_000}, "pull", we_push),
    "push_pull_we_pull": ("Pull0", {"recv_timeout": 20_000}, "push", we_pull),
}


@pytest.mark.parametrize("we_listen", [True, False], ids=["we-listen", "we-dial"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_interop_with_pynng(nng, url, peer_factory, we_listen, case):
    cls, options, role, exchange = CASES[case]
    with getattr(nng, cls)(**options) as sock:
        if we_listen:
            sock.listen(url)
            peer = peer_factory(role, "dial", url)
            peer.expect("READY")
        else:
            peer = peer_factory(role, "listen", url)
            peer.expect("READY")
            sock.dial(url, block=True)
        exchange(nng, sock, peer)
        peer.close()
