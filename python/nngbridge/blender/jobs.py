"""Jobs: long work split into steps that the pump runs within its time budget, so Blender
stays responsive (docs/protocol.md §10). A job command answers at once with ``{job: id}``;
progress and the end arrive as ``job`` events, and ``job.cancel`` stops it between steps.

A job is a generator: each ``next()`` does one step (one frame, one render) and yields its
progress in 0..1; its return value is the job's result.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Callable

from .registry import CommandError, error_map, internal, shape

JobSteps = Generator[float, None, Any]
KEEP_FINISHED = 100  # finished jobs remembered for job.status
MAX_ACTIVE = 16

_publish: Callable[[str, Any], None] | None = None
_ids = itertools.count(1)


@dataclass
class Job:
    id: int
    kind: str
    steps: JobSteps
    state: str = "queued"
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: dict[str, Any] | None = None
    cancel_requested: bool = False
    started: float = field(default_factory=time.monotonic)

    def event(self) -> dict[str, Any]:
        out = {"job": self.id, "kind": self.kind, "state": self.state,
               "progress": self.progress, "message": self.message}
        if self.state == "done":
            out["result"] = self.result
        if self.error is not None:
            out["error"] = self.error
        return out


JOBS: OrderedDict[int, Job] = OrderedDict()
JOB = shape("job", "{job: int, kind: str, state: str, progress: float, message: str, "
                   "result?: value, error?: {code, message, details}}")


def set_publisher(publish: Callable[[str, Any], None] | None) -> None:
    global _publish
    _publish = publish


def _emit(job: Job) -> None:
    if _publish is not None:
        _publish("job", job.event())


def active() -> list[Job]:
    return [j for j in JOBS.values() if j.state in ("queued", "running")]


def submit(kind: str, steps: JobSteps) -> dict[str, Any]:
    """Queues a job; the command returns this (``{job: id}``) at once."""
    if len(active()) >= MAX_ACTIVE:
        steps.close()
        raise CommandError("BUSY", f"{MAX_ACTIVE} jobs are already queued or running")
    job = Job(next(_ids), kind, steps)
    JOBS[job.id] = job
    finished = [j for j in JOBS.values() if j not in active()]
    for old in finished[:-KEEP_FINISHED]:
        JOBS.pop(old.id, None)
    _emit(job)
    return {"job": job.id}


def _finish(job: Job, state: str, **fields: Any) -> None:
    job.state = state
    for k, v in fields.items():
        setattr(job, k, v)
    _emit(job)
    from .commands.wm import set_progress

    if not active():
        set_progress(None)


def run(budget_s: float) -> bool:
    """Advances the oldest active job for up to ``budget_s`` (at least one step); returns
    whether work remains."""
    queue = active()
    if not queue:
        return False
    job = queue[0]
    deadline = time.perf_counter() + budget_s
    from .commands.wm import set_progress

    while True:
        if job.cancel_requested:
            job.steps.close()
            _finish(job, "cancelled",
                    error={"code": "CANCELLED", "message": "cancelled", "details": None})
            break
        if job.state == "queued":
            job.state = "running"
        try:
            job.progress = float(next(job.steps))
        except StopIteration as stop:
            _finish(job, "done", progress=1.0, result=stop.value)
            break
        except CommandError as e:
            _finish(job, "failed", error=error_map(e.code, e.message, e.details))
            break
        except Exception as e:  # noqa: BLE001 - a failing job must not stop the server
            _finish(job, "failed", error=internal(e))
            break
        set_progress(job.progress)
        if time.perf_counter() >= deadline:
            _emit(job)  # one progress event per pump call, not per step
            break
    return bool(active())


def get(job_id: int) -> Job:
    job = JOBS.get(job_id)
    if job is None:
        raise CommandError("NOT_FOUND", f"no job {job_id}", {"kind": "job", "name": job_id})
    return job


def cancel_all() -> None:
    for job in active():
        job.cancel_requested = True
        job.steps.close()
        job.state = "cancelled"
