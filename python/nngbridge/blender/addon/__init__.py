"""The add-on Blender loads: a shim over ``nngbridge.blender``.

Installed as ``scripts/addons/nngbridge_addon/`` (Blender 2.93-4.1, with the nngbridge
wheel in ``scripts/addons/modules``) or, with ``blender_manifest.toml`` and the wheels, as
a 4.2+ extension (Blender installs the wheels itself). Either way the code lives in the
``nngbridge`` package, so the module under test is the module users run.
"""

bl_info = {
    "name": "nngbridge",
    "author": "nngbridge developers",
    "version": (0, 1, 0),
    "blender": (2, 93, 0),
    "location": "Preferences > Add-ons > nngbridge; status bar",
    "description": "Drive Blender over NNG: a MessagePack scene-command server with events",
    "category": "System",
}


def register() -> None:
    from nngbridge import blender

    blender.register(__package__ or __name__)


def unregister() -> None:
    from nngbridge import blender

    blender.unregister()
