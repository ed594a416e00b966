"""The type stubs say what the module has: ``_nng.pyi`` against the native module's
``dir()`` (both ways), the generated option declarations against the option table, and
``mypy --strict`` on a typed program (tests/typing/sample.py)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import nngbridge
import nngbridge.nng  # installs the option properties on the native classes
from nngbridge import _nng

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "python" / "nngbridge" / "_nng.pyi"


def _stub() -> ast.Module:
    return ast.parse(STUB.read_text())


def _names(body: list[ast.stmt]) -> set[str]:
    out: set[str] = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, ast.Assign):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.If):  # if TYPE_CHECKING / sys.version_info: both branches
            out |= _names(node.body) | _names(node.orelse)
    return out


def _public(names: set[str]) -> set[str]:
    """Drop dunders: the runtime has many (``__module__``, ``__new__``) stubs never list."""
    return {n for n in names if not (n.startswith("__") and n.endswith("__"))}


def test_module_names_match_the_stub() -> None:
    stub = _public(_names(_stub().body))
    runtime = _public(set(dir(_nng)))
    assert stub - runtime == set(), "in _nng.pyi, not in the module"
    assert runtime - stub == set(), "in the module, not in _nng.pyi"


def test_package_exports_what_it_has() -> None:
    # Type checkers see nngbridge's names through __all__ (built from the submodules').
    runtime = {
        n for n in dir(nngbridge)
        if not n.startswith("_") and n != "annotations"
        and not (isinstance(getattr(nngbridge, n), ModuleType) and n not in nngbridge.__all__)
    }
    assert len(nngbridge.__all__) == len(set(nngbridge.__all__))
    assert runtime == set(nngbridge.__all__)


STUB_CLASSES = [n.name for n in _stub().body if isinstance(n, ast.ClassDef)]


def test_every_native_class_has_a_stub() -> None:
    classes = {n for n in dir(_nng) if isinstance(getattr(_nng, n), type)}
    assert classes == set(STUB_CLASSES)


@pytest.mark.parametrize("name", STUB_CLASSES)
def test_class_names_match_the_stub(name: str) -> None:
    (node,) = [n for n in _stub().body if isinstance(n, ast.ClassDef) and n.name == name]
    declared = _names(node.body)
    if sys.version_info < (3, 12) or not _nng.BUFFER_PROTOCOL:
        # PEP 688: Python shows the buffer slot as __buffer__ from 3.12 on.
        declared.discard("__buffer__")
    runtime = set(dir(getattr(_nng, name)))
    assert declared - runtime == set(), f"in _nng.pyi's {name}, not at runtime"
    assert _public(runtime) - declared == set(), f"{name} has it, _nng.pyi does not"


def _class_nodes(path: Path) -> dict[str, ast.ClassDef]:
    return {n.name: n for n in ast.parse(path.read_text()).body if isinstance(n, ast.ClassDef)}


NNG_PY = ROOT / "python" / "nngbridge" / "nng.py"


@pytest.mark.parametrize("name", nngbridge.nng.__all__)
def test_python_classes_declare_what_they_have(name: str) -> None:
    # The socket classes of nng.py: what type checkers see (their bodies, the generated
    # option declarations, the native stubs of their bases) is what they have.
    sources = {"nngbridge.nng": _class_nodes(NNG_PY), "nngbridge._nng": _class_nodes(STUB)}
    cls = getattr(nngbridge.nng, name)
    declared: set[str] = set()
    for klass in cls.__mro__[:-1]:  # without object
        declared |= _names(sources[klass.__module__][klass.__name__].body)
    runtime = _public(set(dir(cls)))
    assert _public(declared) - runtime == set(), f"declared for {name}, not at runtime"
    assert runtime - declared == set(), f"{name} has it, no declaration says so"


def test_stub_hides_no_attribute_behind_getattr() -> None:
    # A __getattr__ -> Any in a stub makes every typo type-check.
    for node in ast.walk(_stub()):
        if isinstance(node, ast.FunctionDef):
            assert node.name != "__getattr__"


def test_generated_option_declarations_are_current() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_stubs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    # MYPYPATH: check against this tree's sources and stubs, not an installed copy.
    env = dict(os.environ, MYPYPATH=str(ROOT / "python"))
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_typed_sample_passes_mypy_strict() -> None:
    # --follow-imports=silent: the sample's errors only (the package has its own test).
    out = _mypy("--follow-imports=silent", str(ROOT / "tests" / "typing" / "sample.py"))
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_passes_mypy_strict() -> None:
    # Without the Blender add-on: it imports bpy, which has no stubs here.
    out = _mypy("-p", "nngbridge", "--exclude", "nngbridge/blender/")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_catches_a_misspelt_option(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import nngbridge\n"
        "s = nngbridge.Req0()\n"
        "s.recv_timout = 5\n"
        "p: str = s.recv_timeout\n"
        "s.dialers[0].recv_max_sise = 1\n"
    )
    out = _mypy("--follow-imports=silent", str(bad))
    assert out.returncode == 1
    assert '"Req0" has no attribute "recv_timout"' in out.stdout
    assert 'Incompatible types in assignment (expression has type "int"' in out.stdout
    assert 'has no attribute "recv_max_sise"' in out.stdout
