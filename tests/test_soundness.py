"""Python code that runs in the middle of a native call (a finaliser the garbage
collector runs during an allocation) cannot pull memory out from under it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import nngbridge


@pytest.fixture
def gc_every_allocation() -> Iterator[None]:
    """Collects at (nearly) every container allocation, so a decode runs finalisers."""
    old = gc.get_threshold()
    gc.collect()
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.collect()


def _finaliser_cycle(action: object) -> None:
    """Leaves behind a reference cycle whose finaliser calls `action` once collected."""

    class Finaliser:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            action()  # type: ignore[operator]

    Finaliser()


# Big enough that the C library maps the bytearray's storage on its own: freeing it
# unmaps it, so a read of the old storage crashes instead of passing by chance.
VALUE = [[i] for i in range(20_000)] + [b"x" * 400_000]


@pytest.mark.parametrize("change", ["emptied", "grown", "overwritten"])
def test_a_bytearray_changed_by_a_finaliser_during_unpackb(gc_every_allocation, change):
    data = bytearray(nngbridge.packb(VALUE))
    ran: list[BaseException | None] = []

    def resize() -> None:
        try:
            if change == "emptied":
                data.clear()
            elif change == "grown":
                data.extend(b"\0" * (8 << 20))
            else:
                data[:] = b"\xc1" * len(data)  # 0xc1 is never valid MessagePack
            ran.append(None)
        except BufferError as e:  # also sound: the bytes are pinned while read
            ran.append(e)

    _finaliser_cycle(resize)
    gc.set_threshold(1)
    value = nngbridge.unpackb(data)
    gc.set_threshold(700)
    assert ran, "the finaliser ran during the decode"
    assert value == VALUE


def test_recv_into_copies_a_message_into_a_bytearray() -> None:
    with nngbridge.Pair0() as a, nngbridge.Pair0() as b:
        a.listen("inproc://soundness-recv-into")
        b.dial("inproc://soundness-recv-into")
        b.send(b"abc")
        out = bytearray(8)
        assert a.recv_into(out) == 3
        assert bytes(out[:3]) == b"abc"


_HALF_FILLED = r"""
import gc, sys
import nngbridge

def walk(phase, info):
    # What a profiler or leak finder does at a collection: look at every tracked object.
    if phase == "start":
        for obj in gc.get_objects():
            if type(obj) in (list, tuple):
                for item in obj:
                    type(item)

payload = nngbridge.packb([[[i, i] for i in range(100)] for _ in range(20)])
gc.callbacks.append(walk)
gc.set_threshold(10)
out = nngbridge.unpackb(payload, use_list=sys.argv[1] == "list")
gc.set_threshold(700)
gc.callbacks.remove(walk)
assert len(out) == 20 and len(out[0]) == 100, "decoded wrongly"
print("WALKED")
"""


@pytest.mark.parametrize("kind", ["list", "tuple"])
def test_the_collector_never_sees_a_half_filled_list_during_unpackb(kind: str) -> None:
    # Before, unpackb made each list at full length and filled it while allocating, so
    # a gc callback walking gc.get_objects() met empty slots and crashed the process.
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", _HALF_FILLED, kind], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0 and "WALKED" in res.stdout, (res.returncode, res.stderr[-2000:])
