"""The command catalogue, by domain (docs/protocol.md §11). Importing this package
registers every command."""

from . import (  # noqa: F401
    anim,
    batch,
    clips,
    collections,
    gpencil,
    images,
    jobs,
    masks,
    objects,
    render,
    scene,
    sequencer,
    session,
    tracking,
    wm,
)
