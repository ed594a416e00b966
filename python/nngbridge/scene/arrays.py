"""Binary arrays (docs/protocol.md §5) in and out of scene messages.

Out: a numpy array (or any ``memoryview``) anywhere in a request's arguments goes out
as ``{dtype, shape, data: bin}``, its bytes copied once, straight into the NNG message.
Only C-contiguous arrays of the dtypes in ``DTYPES`` are sent; anything else is refused
(``TypeError``/``ValueError`` naming what is accepted) rather than copied behind the
caller's back: ``numpy.ascontiguousarray(a, dtype="<f4")`` makes one that is.

In: every ``{dtype, shape, data}`` map of a reply becomes a numpy array of that dtype and
shape (a ``memoryview`` cast to it without numpy). With the cp311 wheel, the array's
bytes are the received message's own (no copy) when the payload is large
(``VIEW_MIN_BYTES``); with the cp39 wheel they are one copy of the message's body (its
bodies are not buffers); small payloads are decoded with the rest of the message.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Union

import nngbridge
from nngbridge import _nng

try:
    import numpy
except ImportError:  # Debian's Blender has it; a bare Python may not
    numpy = None  # type: ignore[assignment]

#: Wire dtype codes (numpy's, little-endian) and their ``struct``/``memoryview`` format.
DTYPES: dict[str, str] = {"u1": "B", "i1": "b", "u2": "H", "i2": "h", "u4": "I", "i4": "i",
                          "u8": "Q", "i8": "q", "f2": "e", "f4": "f", "f8": "d", "b1": "?"}
_FORMATS = {fmt: code for code, fmt in DTYPES.items()}
_FORMATS.update({"<" + f: c for f, c in _FORMATS.items()} if sys.byteorder == "little" else {})
#: A bin payload at least this large is viewed in the received message, not copied.
VIEW_MIN_BYTES = 64 << 10
#: Replies with more elements than this are decoded natively in one pass (no views).
SCAN_MAX_NODES = 16384
_VIEWS = bool(getattr(_nng, "BUFFER_PROTOCOL", False))

#: What a received array is: a numpy array, or a cast ``memoryview`` without numpy.
Array = Union["numpy.ndarray[Any, Any]", memoryview]
_ARRAY_KEYS = frozenset(("dtype", "shape", "data"))


class ProtocolError(Exception):
    """A message broke the protocol (not a valid envelope, a reply to another request,
    an array whose bytes do not fit its shape...). The client stays usable."""


# ---- outgoing ---------------------------------------------------------------------------

class _Out:
    """An array argument: its header fields and the buffer its bytes are copied from."""

    __slots__ = ("code", "shape", "buffer")

    def __init__(self, code: str, shape: list[int], buffer: memoryview) -> None:
        self.code, self.shape, self.buffer = code, shape, buffer


def _supported() -> str:
    return ", ".join(DTYPES)


def _numpy_out(a: Any) -> _Out:
    dt = a.dtype
    code = f"{dt.kind}{dt.itemsize}"
    if code not in DTYPES or dt.byteorder == ">" or dt.fields is not None:
        raise TypeError(f"cannot send a numpy array of dtype {dt.str!r}: the protocol's "
                        f"arrays are little-endian {_supported()} "
                        "(numpy.ascontiguousarray(a, dtype='<f4') converts)")
    if not a.flags.c_contiguous:
        raise ValueError("cannot send a non-contiguous numpy array without a copy: pass "
                         "numpy.ascontiguousarray(a) (C order) explicitly")
    return _Out(code, [int(n) for n in a.shape], memoryview(a).cast("B") if a.ndim else
                memoryview(a.reshape(1)).cast("B"))


def _memoryview_out(m: memoryview) -> _Out:
    code = _FORMATS.get(m.format)
    if code is None:
        raise TypeError(f"cannot send a memoryview of format {m.format!r}: the protocol's "
                        f"arrays are {_supported()} (struct formats "
                        f"{', '.join(DTYPES.values())})")
    if not m.c_contiguous:
        raise ValueError("cannot send a non-contiguous memoryview without a copy")
    return _Out(code, list(m.shape or ()), m if m.format == "B" and m.ndim == 1 else m.cast("B"))


def _prepare(obj: Any) -> tuple[Any, bool]:
    """``obj`` with its arrays replaced by ``_Out``s (and the containers holding them
    copied), and whether there was any. Trees without arrays are returned as they are."""
    t = type(obj)
    if t in (str, int, float, bool, bytes) or obj is None:
        return obj, False
    if t is dict or isinstance(obj, Mapping):
        found, out = False, {}
        for k, v in obj.items():
            out[k], f = _prepare(v)
            found |= f
        return (out if found else obj), found
    if t in (list, tuple):
        items = [_prepare(v) for v in obj]
        if any(f for _, f in items):
            return [v for v, _ in items], True
        return obj, False
    if numpy is not None and isinstance(obj, numpy.ndarray):
        return _numpy_out(obj), True
    if isinstance(obj, memoryview):
        return _memoryview_out(obj), True
    return obj, False


def _len_header(n: int, fix: int | None, fix_max: int, b8: int | None, b16: int,
                b32: int) -> bytes:
    if fix is not None and n <= fix_max:
        return bytes((fix | n,))
    if b8 is not None and n < 0x100:
        return bytes((b8, n))
    if n < 0x10000:
        return bytes((b16,)) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes((b32,)) + n.to_bytes(4, "big")
    raise ValueError(f"a length of {n} does not fit MessagePack")


def _chunks(obj: Any, out: list[Any]) -> None:
    """MessagePack of ``obj`` as a list of byte strings and array buffers, in order."""
    if isinstance(obj, _Out):
        out.append(b"\x83" + nngbridge.packb("dtype") + nngbridge.packb(obj.code)
                   + nngbridge.packb("shape") + nngbridge.packb(obj.shape)
                   + nngbridge.packb("data")
                   + _len_header(obj.buffer.nbytes, None, 0, 0xC4, 0xC5, 0xC6))
        out.append(obj.buffer)
    elif type(obj) is dict:
        out.append(_len_header(len(obj), 0x80, 15, None, 0xDE, 0xDF))
        for k, v in obj.items():
            out.append(nngbridge.packb(k))
            _chunks(v, out)
    elif type(obj) is list:
        out.append(_len_header(len(obj), 0x90, 15, None, 0xDC, 0xDD))
        for v in obj:
            _chunks(v, out)
    else:
        out.append(nngbridge.packb(obj))


def encode(obj: Any) -> nngbridge.Message:
    """``obj`` packed into a message; each array's bytes are copied once, into it."""
    prepared, found = _prepare(obj)
    if not found:
        return nngbridge.Message(nngbridge.packb(obj))
    parts: list[Any] = []
    _chunks(prepared, parts)
    size = sum(len(p) if isinstance(p, bytes) else p.nbytes for p in parts)
    if not _VIEWS:  # cp39 wheel: message bodies are not buffers, so one more copy
        return nngbridge.Message(b"".join(parts))
    msg = nngbridge.Message.alloc(size)
    body = memoryview(msg)
    try:
        at = 0
        for p in parts:
            n = len(p) if isinstance(p, bytes) else p.nbytes
            body[at:at + n] = p
            at += n
    finally:
        body.release()
    return msg


# ---- incoming ---------------------------------------------------------------------------

class _TooMany(Exception):
    pass


_FIXED = {0xC0: 0, 0xC2: 0, 0xC3: 0, 0xCA: 4, 0xCB: 8, 0xCC: 1, 0xCD: 2, 0xCE: 4,
          0xCF: 8, 0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8}


def _scan(b: memoryview) -> list[tuple[tuple[Any, ...], int, int, int]]:
    """The large bins of the MessagePack value in ``b``: (path, header start, payload
    start, payload end) each, a path element being an array index or a map key's
    (start, end). Raises on anything odd (the native decoder then says what)."""
    spans: list[tuple[tuple[Any, ...], int, int, int]] = []
    nodes = 0

    def skip(pos: int, path: tuple[Any, ...]) -> int:
        nonlocal nodes
        nodes += 1
        if nodes > SCAN_MAX_NODES:
            raise _TooMany
        m = b[pos]
        pos += 1
        if m <= 0x7F or m >= 0xE0:
            return pos
        if m <= 0x8F:
            return container(pos, m & 0x0F, path, True)
        if m <= 0x9F:
            return container(pos, m & 0x0F, path, False)
        if m <= 0xBF:
            return pos + (m & 0x1F)
        if m in _FIXED:
            return pos + _FIXED[m]
        if 0xC4 <= m <= 0xC6 or 0xD9 <= m <= 0xDB:
            w = 1 << ((m - 0xC4) if m <= 0xC6 else (m - 0xD9))
            n = int.from_bytes(b[pos:pos + w], "big")
            start = pos + w
            if m <= 0xC6 and n >= VIEW_MIN_BYTES:
                spans.append((path, pos - 1, start, start + n))
            return start + n
        if m in (0xDC, 0xDD, 0xDE, 0xDF):
            w = 2 if m in (0xDC, 0xDE) else 4
            n = int.from_bytes(b[pos:pos + w], "big")
            return container(pos + w, n, path, m >= 0xDE)
        raise ValueError(f"byte 0x{m:02x}")

    def container(pos: int, n: int, path: tuple[Any, ...], is_map: bool) -> int:
        for i in range(n):
            if is_map:
                key_at = pos
                pos = skip(pos, path)
                pos = skip(pos, path + ((key_at, pos),))
            else:
                pos = skip(pos, path + (i,))
        return pos

    if skip(0, ()) != len(b):
        raise ValueError("trailing bytes")
    return spans


def _unpack(data: Any) -> Any:
    try:
        return nngbridge.unpackb(data)
    except (ValueError, TypeError) as e:
        raise ProtocolError(f"the reply is not valid MessagePack: {e}") from None


def _decode_viewing(body: memoryview) -> Any:
    """The value in ``body`` with its large bins as views of ``body``."""
    try:
        spans = _scan(body)
    except (_TooMany, ValueError, IndexError):
        spans = []
    if not spans:
        return _unpack(body.obj if type(body.obj) is bytes else bytes(body))
    pieces: list[Any] = []
    at = 0
    for _, head, _start, end in spans:  # each bin becomes an empty one, filled in below
        pieces += [body[at:head], b"\xc4\x00"]
        at = end
    pieces.append(body[at:])
    value = _unpack(b"".join(pieces))
    for path, _, start, end in spans:
        holder, key = None, None
        node = value
        for step in path:
            holder = node
            key = step if isinstance(step, int) else nngbridge.unpackb(body[step[0]:step[1]])
            node = node[key]
        if holder is None:
            return body[start:end]
        holder[key] = body[start:end]
    return value


def decode(msg: nngbridge.Message, make_arrays: bool = True) -> Any:
    """A received message's value, arrays made (see the module's docstring); with
    ``make_arrays=False`` §5 maps stay maps, their ``data`` ``bytes``."""
    if not make_arrays:
        return _unpack(msg.bytes)
    if len(msg) >= VIEW_MIN_BYTES:  # cp39: the view is of one copy of the body
        value = _decode_viewing(memoryview(msg) if _VIEWS else memoryview(msg.bytes))
    else:
        value = _unpack(msg.bytes)
    return arrays_in(value)


def to_array(m: Mapping[str, Any]) -> Array:
    """One ``{dtype, shape, data}`` map as an array (numpy, else a cast memoryview)."""
    code, shape, data = m["dtype"], m["shape"], m["data"]
    if code not in DTYPES or not isinstance(shape, list) or \
            not all(type(n) is int and n >= 0 for n in shape):
        raise ProtocolError(f"an array of dtype {code!r} and shape {shape!r}: expected a "
                            f"dtype of {_supported()} and a list of sizes")
    count = 1
    for n in shape:
        count *= n
    view = memoryview(data)
    if view.nbytes != count * int(code[1:]):
        raise ProtocolError(f"an array {code} {shape} needs {count * int(code[1:])} bytes, "
                            f"got {view.nbytes}")
    if numpy is not None:
        return numpy.frombuffer(view, dtype="<" + code).reshape(shape)
    flat = view.cast("B").cast(DTYPES[code])
    try:
        return flat.cast("B").cast(DTYPES[code], shape) if len(shape) > 1 else flat
    except (TypeError, ValueError):  # memoryview cannot take every shape (zero sizes)
        return flat


def arrays_in(value: Any) -> Any:
    """``value`` with every ``{dtype, shape, data}`` map turned into an array."""
    t = type(value)
    if t is dict:
        if value.keys() == _ARRAY_KEYS and isinstance(value["data"], (bytes, memoryview)):
            return to_array(value)
        for k, v in value.items():
            if type(v) in (dict, list):
                value[k] = arrays_in(v)
    elif t is list:
        for i, v in enumerate(value):
            if type(v) in (dict, list):
                value[i] = arrays_in(v)
    return value
