"""NNG's error numbers have one home, the Rust crate's ERROR_CODES (``_nng.ERRORS``):
the exception map is built from it, agrees with real pynng's, and no Python source
spells an error number."""

from __future__ import annotations

import ast
from pathlib import Path

import pynng
import pynng.exceptions

import nngbridge
from nngbridge import _nng
from nngbridge.exceptions import EXCEPTION_MAP, _error

PKG = Path(__file__).resolve().parent.parent / "python" / "nngbridge"


def test_exception_map_matches_pynngs() -> None:
    ours = {errno: cls.__name__ for errno, cls in EXCEPTION_MAP.items()}
    theirs = {errno: cls.__name__ for errno, cls in pynng.exceptions.EXCEPTION_MAP.items()}
    assert ours == theirs


def test_every_exception_class_has_its_number_from_the_table() -> None:
    for errno, cls in EXCEPTION_MAP.items():
        assert _nng.ERRORS[cls.__name__] == errno
        assert getattr(nngbridge, cls.__name__) is cls


def test_raised_errors_carry_the_tables_number() -> None:
    with nngbridge.Pair0(recv_timeout=1) as s:
        try:
            s.recv()
        except nngbridge.Timeout as e:
            assert e.errno == _nng.ERRORS["Timeout"]
            assert str(e) == _nng._strerror(e.errno)
        else:
            raise AssertionError("recv without a peer did not time out")
    err = _error(nngbridge.ReadOnly)
    assert (err.errno, str(err)) == (_nng.ERRORS["ReadOnly"], "Read only resource")


def test_no_python_source_spells_an_error_number() -> None:
    names = {cls.__name__ for cls in EXCEPTION_MAP.values()} | {"NNGException"}
    found = []
    for path in PKG.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in names
                and any(isinstance(a, ast.Constant) and isinstance(a.value, int)
                        for a in node.args)
            ):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
