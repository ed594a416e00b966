"""The command catalogue, by domain (docs/protocol.md §11). Importing this package
registers every command."""

from . import (  # noqa: F401
    anim,
    batch,
    clip,
    collection,
    curves,
    gpencil,
    id,
    image,
    io,
    job,
    mask,
    material,
    node,
    mesh,
    object,
    pointcloud,
    render,
    scene,
    sequencer,
    session,
    tracking,
    viewport,
    wm,
)
