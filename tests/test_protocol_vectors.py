"""The shared vectors in tests/vectors/ through the native Python codec: each decodes to
the meaning vectors.json gives and re-encodes to the same bytes (the Rust crate checks
the same files in crates/nngbridge-scene/tests/vectors.rs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nngbridge

HERE = Path(__file__).parent / "vectors"
INDEX = json.loads((HERE / "vectors.json").read_text())


def from_json(v):
    if isinstance(v, dict):
        if set(v) == {"$bin"}:
            return bytes.fromhex(v["$bin"])
        return {k: from_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [from_json(x) for x in v]
    return v


@pytest.mark.parametrize("vector", INDEX, ids=[v["name"] for v in INDEX])
def test_vector_decodes_to_its_meaning_and_back_to_its_bytes(vector):
    data = (HERE / vector["file"]).read_bytes()
    if vector["kind"] == "event":
        topic, _, body = data.partition(b"\0")
        value = nngbridge.unpackb(body)
        assert topic.decode() == value["topic"]
        assert topic + b"\0" + nngbridge.packb(value) == data
    else:
        value = nngbridge.unpackb(data)
        assert nngbridge.packb(value) == data
    assert value == from_json(vector["value"])


def test_the_vectors_are_what_the_generator_writes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_vectors", HERE / "make_vectors.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for vector in INDEX:
        assert (tmp_path / vector["file"]).read_bytes() == (HERE / vector["file"]).read_bytes()


EDGE_CASES = json.loads((HERE / "edge_cases.json").read_text())


@pytest.mark.parametrize("case", EDGE_CASES, ids=[c["name"] for c in EDGE_CASES])
def test_edge_case_gets_the_shared_verdict(case):
    """The verdicts crates/nngbridge-scene/tests/vectors.rs asserts for the Rust decoder:
    both decoders accept and refuse the same bytes (docs/protocol.md §2)."""
    data = b"".join(bytes.fromhex(hex_) * times for hex_, times in case["parts"])
    if case["accept"]:
        nngbridge.unpackb(data)
    else:
        with pytest.raises(ValueError):
            nngbridge.unpackb(data)


def test_the_packer_keeps_the_depth_rule_too():
    ok: list = []  # MAX_DEPTH lists, the innermost empty
    for _ in range(nngbridge._nng.MAX_DEPTH - 1):
        ok = [ok]
    assert nngbridge.unpackb(nngbridge.packb(ok)) == ok
    with pytest.raises(ValueError, match="deeply nested"):
        nngbridge.packb([ok])
