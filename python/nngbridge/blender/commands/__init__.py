"""The command catalogue, by domain (docs/protocol.md §11). Importing this package
registers every command."""

from . import images, objects, scene, session  # noqa: F401
