"""The native MessagePack codec against msgpack-python: same bytes, same values, and
clear errors (never a crash) on malformed input."""

from __future__ import annotations

import array

import pytest

import nngbridge

msgpack = pytest.importorskip("msgpack")

VALUES = [
    None, True, False, 0, 1, 127, 128, 255, 256, 65535, 65536, 2**32, 2**64 - 1,
    -1, -32, -33, -128, -129, -(2**15) - 1, -(2**31) - 1, -(2**63), 1.5, -0.0,
    "", "x" * 31, "y" * 32, "z" * 300, "é ✓", b"", b"a" * 300, [], [1, [2, [3]]],
    {}, {"a": 1, "b": [1, 2]}, list(range(20)), {str(i): i for i in range(20)},
    "q" * 70000, b"w" * 70000,
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_same_bytes_and_values_as_msgpack(value):
    packed = nngbridge.packb(value)
    assert packed == msgpack.packb(value)
    assert nngbridge.unpackb(packed) == msgpack.unpackb(packed)


def test_conventions():
    assert nngbridge.unpackb(nngbridge.packb((1, 2))) == [1, 2]
    assert nngbridge.unpackb(nngbridge.packb((1, 2)), use_list=False) == (1, 2)
    assert nngbridge.unpackb(nngbridge.packb("a"), raw=True) == b"a"
    for buf in (bytearray(b"ab"), memoryview(b"ab"), array.array("B", b"ab")):
        assert nngbridge.packb(buf) == msgpack.packb(b"ab")
    assert nngbridge.unpackb(memoryview(nngbridge.packb({"k": b"v"}))) == {"k": b"v"}


def test_large_bytes_among_other_values_pack_like_msgpack():
    # packb copies large bytes straight into its result: the pieces must stay in order.
    value = {"a": b"x" * 70000, "b": [b"y" * 100000, 1, b"z" * 65536], "c": "end"}
    assert nngbridge.packb(value) == msgpack.packb(value)
    assert nngbridge.unpackb(nngbridge.packb(value)) == value


def test_subclasses_of_builtin_types_pack_as_their_base():
    import collections
    import enum

    class Color(enum.IntEnum):
        RED = 1

    class Name(str):
        pass

    value = [Color.RED, Name("cube"), collections.OrderedDict(a=1), 2.5]
    assert nngbridge.packb(value) == msgpack.packb(value)


def test_cached_map_keys_are_equal_strings_and_bad_utf8_keys_fail():
    listing = [{"name": f"o{i}", "type": "MESH", "k" * 32: i} for i in range(600)]
    for _ in range(2):  # the second decode takes every key from the cache
        assert nngbridge.unpackb(nngbridge.packb(listing)) == listing
    with pytest.raises(ValueError, match="UTF-8"):
        nngbridge.unpackb(b"\x81\xa2\xff\xfe\x01")
    assert nngbridge.unpackb(b"\x81\xa2\xff\xfe\x01", raw=True, strict_map_key=False) == {
        b"\xff\xfe": 1}


def test_numpy_arrays_pack_as_bin():
    np = pytest.importorskip("numpy")
    arr = np.arange(1024, dtype=np.float32)
    assert nngbridge.unpackb(nngbridge.packb({"data": arr}))["data"] == arr.tobytes()


@pytest.mark.parametrize(
    "bad",
    [b"", b"\x92\x01", b"\xc1", b"\x01\x02", b"\xdd\xff\xff\xff\xff", b"\x81\x01\x02",
     b"\xc7\x01\x01\x00", b"\xa2\xff\xfe", b"\xdb\xff\xff\xff\xff", b"\x91" * 1000 + b"\x01"],
)
def test_malformed_input_is_a_value_error(bad):
    with pytest.raises(ValueError):
        nngbridge.unpackb(bad)


def test_unpackable_objects_and_limits():
    with pytest.raises(TypeError, match="can not serialize 'object' object"):
        nngbridge.packb(object())
    with pytest.raises(OverflowError):
        nngbridge.packb(2**64)
    deep: list = []
    for _ in range(nngbridge._nng.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match="deeply nested"):
        nngbridge.packb(deep)


def test_random_garbage_never_crashes():
    import random

    rng = random.Random(1234)
    for _ in range(20000):
        blob = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 24)))
        try:
            nngbridge.unpackb(blob)
        except ValueError:
            pass


def test_send_packed_puts_the_same_bytes_on_the_wire():
    big = array.array("f", range(100_000))
    obj = {"v": 1, "id": 3, "ok": True, "result": {"dtype": "f4", "shape": [100_000],
                                                   "data": big, "tail": "after the payload"}}
    with nngbridge.Pair0(listen="inproc://packed", recv_timeout=5000) as a, nngbridge.Pair0(
        dial="inproc://packed"
    ) as b:
        b.send_packed(obj)
        assert a.recv() == nngbridge.packb(obj)
        b.send_packed({"small": [1, 2, 3]})
        assert nngbridge.unpackb(a.recv()) == {"small": [1, 2, 3]}
        with pytest.raises(TypeError):
            b.send_packed({"bad": object()})
        b.send_packed("still usable")
        assert nngbridge.unpackb(a.recv()) == "still usable"


@pytest.mark.parametrize("nbytes", [0, 3, 8, 1000, 70000])
@pytest.mark.parametrize("align", [1, 2, 4, 8])
@pytest.mark.parametrize("id_", [None, 1, 300, 2**40])
def test_pack_with_tail_packs_the_map_with_an_aligned_payload_last(nbytes, align, id_):
    reply = {"v": 1, "id": id_, "ok": True,
             "result": {"dtype": "f4", "shape": [nbytes // 4], "note": "x" * (nbytes % 40)}}
    msg = nngbridge.pack_with_tail(reply, ("result", "data"), nbytes, align)
    body = bytes(msg.bytes)
    assert body[len(body) - nbytes - 5] == 0xC6
    assert int.from_bytes(body[len(body) - nbytes - 4:len(body) - nbytes], "big") == nbytes
    expected = dict(reply, result=dict(reply["result"], data=bytes(nbytes)))
    assert nngbridge.unpackb(body) == expected
    assert list(nngbridge.unpackb(body)["result"]) == ["dtype", "shape", "note", "data"]
    if nngbridge._nng.BUFFER_PROTOCOL and nbytes:
        view = memoryview(msg)
        tail = view[len(view) - nbytes:]
        tail[:] = bytes(range(256)) * (nbytes // 256) + bytes(range(nbytes % 256))
        np = pytest.importorskip("numpy")
        assert np.frombuffer(tail, dtype=np.uint8).ctypes.data % align == 0
        tail.release()
        view.release()
        got = nngbridge.unpackb(msg.bytes)["result"]["data"]
        assert got == bytes(range(256)) * (nbytes // 256) + bytes(range(nbytes % 256))


def test_pack_with_tail_a_top_level_key_and_its_errors():
    msg = nngbridge.pack_with_tail({"a": 1}, "data", 4)
    assert nngbridge.unpackb(msg.bytes) == {"a": 1, "data": b"\0" * 4}
    with pytest.raises(ValueError, match="already in the map"):
        nngbridge.pack_with_tail({"data": 1}, "data", 4)
    with pytest.raises(ValueError, match="not the last entry"):
        nngbridge.pack_with_tail({"result": {}, "v": 1}, ("result", "data"), 4)
    with pytest.raises(ValueError, match="align"):
        nngbridge.pack_with_tail({}, "data", 4, 3)
    with pytest.raises(TypeError):
        nngbridge.pack_with_tail([1], "data", 4)
