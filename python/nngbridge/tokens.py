"""Where a server's token lives, so local clients find it (docs/protocol.md §7.1).

The rule (its Rust twin is ``nngbridge_scene::token``; a test checks that both find the
same file):

* directory: ``$XDG_RUNTIME_DIR/nngbridge`` if ``XDG_RUNTIME_DIR`` is set and not empty,
  else ``$HOME/.nngbridge`` (``%USERPROFILE%`` where ``HOME`` is unset); made ``0700``;
* file: ``<key>.token`` in it, ``0600``, holding the token and nothing else, where
  ``<key>`` is the 64-bit FNV-1a hash of the address string's UTF-8 bytes as 16 lowercase
  hex digits (``address_key``): the exact string the server listens on.

No ``bpy`` here: the add-on, the scene client (``nngbridge.scene``) and the test harness
use it.
"""

from __future__ import annotations

import os
import secrets
import tempfile

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


def address_key(address: str) -> str:
    """64-bit FNV-1a of the address, 16 hex digits: a file name for any address (ipc paths
    can be long and full of slashes)."""
    h = FNV_OFFSET
    for byte in address.encode():
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def token_dir() -> str:
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "nngbridge")
    home = os.environ.get("HOME") or os.environ.get("USERPROFILE")
    if not home:
        raise RuntimeError("neither XDG_RUNTIME_DIR nor HOME is set: nowhere to keep the token; "
                           "pass token=... explicitly")
    return os.path.join(home, ".nngbridge")


def token_path(address: str) -> str:
    """The token file of the server listening on ``address``."""
    return os.path.join(token_dir(), address_key(address) + ".token")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _private_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)
    st = os.lstat(path)
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise PermissionError(f"{path} belongs to another user; not writing a token there")
    if os.name == "posix" and st.st_mode & 0o077:
        os.chmod(path, 0o700)


def write_token(address: str, token: str) -> str:
    """Writes ``token`` to ``address``'s token file (0600, replaced atomically so a reader
    never sees half a token); returns the file's path."""
    path = token_path(address)
    directory = os.path.dirname(path)
    _private_dir(directory)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".token")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path


def read_token(address: str) -> str | None:
    """The token the local server on ``address`` wrote, or None if there is no file."""
    try:
        with open(token_path(address), encoding="utf-8") as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def remove_token(address: str, token: str) -> None:
    """Removes ``address``'s token file if it still holds ``token`` (not a newer server's)."""
    try:
        if read_token(address) == token:
            os.unlink(token_path(address))
    except OSError:
        pass
