"""Property tests of the native codec (hypothesis): any value msgpack-python can pack packs
to the same bytes and round-trips; arbitrary bytes never crash the decoder."""

from __future__ import annotations

import pytest

import nngbridge

hypothesis = pytest.importorskip("hypothesis")
msgpack = pytest.importorskip("msgpack")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.binary(max_size=64)
)
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=8)
    | st.dictionaries(st.text(max_size=8), inner, max_size=8),
    max_leaves=64,
)


@settings(max_examples=2000, deadline=None)
@given(values)
def test_same_bytes_as_msgpack_and_round_trip(value):
    packed = nngbridge.packb(value)
    assert packed == msgpack.packb(value)
    assert nngbridge.unpackb(packed) == value


@settings(max_examples=5000, deadline=None)
@given(st.binary(max_size=128))
def test_arbitrary_bytes_decode_or_raise_value_error(data):
    try:
        nngbridge.unpackb(data)
    except ValueError:
        pass
