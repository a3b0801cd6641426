"""OS thread priorities (Linux), for the realtime lane's isolation from the batched work on a CPU.

ONNX Runtime starts a session's intra-op pool threads when the session is created and Python does
not expose them: :func:`started_by` records the native ids of the threads a call started. A
thread's priority is its nice value (per thread on Linux). An unprivileged process may lower a
thread's priority but not raise it again, so what is lowered stays lowered.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")


def _threads() -> set[int]:
    try:
        return {int(t) for t in os.listdir("/proc/self/task")}
    except OSError:  # no /proc: not Linux
        return set()


def started_by(fn: Callable[[], T]) -> tuple[T, set[int]]:
    """``fn()`` and the native ids of the threads started while it ran and still alive (empty
    without /proc; a thread started meanwhile by another caller counts too: call it at start-up)."""
    before = _threads()
    out = fn()
    return out, _threads() - before


def lower_priority(threads: Iterable[int], nice: int) -> int:
    """Give ``threads`` (native ids) the nice value ``nice`` where that lowers their priority;
    returns how many changed (0 where the OS has no per-thread nice value)."""
    if not sys.platform.startswith("linux"):
        return 0
    changed = 0
    for tid in threads:
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                changed += 1
        except (ProcessLookupError, PermissionError):  # ended meanwhile, or not ours to change
            continue
    return changed
