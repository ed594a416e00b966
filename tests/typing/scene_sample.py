"""A typed program over ``nngbridge.scene``; tests/test_scene_typing.py runs ``mypy
--strict`` on it, so the generated command types (``_commands.pyi``) stay usable."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import nngbridge.scene as scene
from nngbridge.scene.arrays import Array


def drive(address: str) -> float:
    with scene.connect(address, timeout=10.0) as blender:
        made = blender.call("object.create", type="CUBE", name="Box", location=[0, 0, 1])
        name: str = made["name"]
        bounds = blender.call("mask.bounds", name="Matte", layer="Box", frame=3)
        low: list[float] = bounds["min"]
        layers: list[str] = bounds["layers"]
        pixels: Array = blender.call("image.pixels_get", name=name)
        del pixels, layers
        pong: Future[str] = blender.submit("session.ping")
        assert pong.result() == "pong"
        report: scene.BatchReport = blender.batch([("object.get", {"name": "Box"})])
        applied: int = report.applied
        first: scene.BatchItem = report[0]
        try:
            blender.call("object.get", name="Nope")
        except scene.NotFound as e:
            code: str = e.code
            del code
        job: scene.Job = blender.job("render.still", path="still.png")
        for state in job:
            print(state["progress"])
        with blender.events(topics=["frame"], timeout=1.0) as events:
            event: scene.Event = events.next()
            seq: int = event.seq
            del seq
        del first, applied
        return low[0]


async def drive_async(address: str) -> list[float]:
    async with scene.AsyncClient(address) as blender:
        bounds = await blender.call("mask.bounds", name="Matte")
        value = await blender.call("anim.evaluate", target="object", name="Box",
                                   data_path="location", frame=2.5)
        out: float = value["value"]
        return [*bounds["max"], out]


if __name__ == "__main__":
    asyncio.run(drive_async("ipc:///tmp/blender"))
