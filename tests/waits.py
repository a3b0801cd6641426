"""Waiting helpers for tests that watch the scheduler from outside."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any


def until_idle(synth: Any, timeout: float = 10.0) -> int:
    """Wait until ``synth``'s scheduler holds no slot (a cancel or drop is reaped within a step);
    returns the slots still held when ``timeout`` seconds passed (0 when idle)."""
    end = time.monotonic() + timeout
    while synth.scheduler.active and time.monotonic() < end:
        time.sleep(0.01)
    return synth.scheduler.active


def gated_text(first: str, rest: str, gate: threading.Event) -> Iterator[str]:
    """Streamed text whose second piece arrives only when ``gate`` is set (10 s at most)."""
    yield first
    gate.wait(10)
    yield rest
