"""job.*: status, cancel and list of jobs (docs/protocol.md §10)."""

from __future__ import annotations

from typing import Any

from .. import jobs
from ..registry import about, arg, command


@command("job.status", job=arg(int))
@about(jobs.JOB, errors=("NOT_FOUND",))
def status(job: int) -> dict[str, Any]:
    """The job's latest state (the data of its latest ``job`` event)."""
    return jobs.get(job).event()


@command("job.cancel", job=arg(int))
@about("{cancelled: bool, state}", errors=("NOT_FOUND",))
def cancel(job: int) -> dict[str, Any]:
    """Asks a job to stop before its next step; false if it had already ended."""
    found = jobs.get(job)
    if found.state not in ("queued", "running"):
        return {"cancelled": False, "state": found.state}
    found.cancel_requested = True
    return {"cancelled": True, "state": found.state}


@command("job.list")
@about("{jobs: [state]}")
def list_() -> dict[str, Any]:
    return {"jobs": [j.event() for j in jobs.JOBS.values()]}
