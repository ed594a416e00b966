"""Where benchmark processes run: each peer pinned to its own core (the machines are
2-core and noisy; docs/benchmarks.md). Shared by benches/run.py and
benches/blender/bench_blender.py, which both run standalone."""

from __future__ import annotations

import os


def pin(core: int) -> None:
    """Pins the calling process to ``core`` (modulo the machine's cores)."""
    try:
        cores = os.cpu_count() or 1
        # By the machine's count, not the inherited mask: a spawned peer inherits the
        # client's single core, and must still move to its own.
        if cores > 1:
            os.sched_setaffinity(0, {core % cores})
    except (AttributeError, OSError):
        pass
