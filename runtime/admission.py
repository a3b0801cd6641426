"""Admission control: a bounded waiting queue, predicted time to first audio (TTFA), and immediate
refusals with a typed reason (notes/batching-qos.md D3). Pure: ``now`` (seconds) is passed in.

API:

* :class:`Request` (what a waiting request carries), :class:`Limits` (per-request limits).
* :class:`WaitingQueue` ``(max_waiting, aging_s)``: ``push``, ``pop(now)`` (next in
  :func:`runtime.policy.order_waiting` order), ``remove(id)``, ``position(req, now)``. Not
  thread-safe: the caller holds its lock around check + push.
* :func:`check_limits` raises :class:`RequestTooLarge` (reason "too_long").
* :func:`predicted_ttfa` (s from now), :func:`check_admission` → predicted TTFA, or
  :class:`OverloadError` with ``reason`` ("shutting_down", "queue_full", "deadline_unreachable")
  and ``retry_after_s``.

TTFA model: wait for the iteration in flight (one step at the current batch), then for a slot if
none is free (under full load a slot frees every ``stream_frames * step(max_streams) / max_streams``
seconds), then the prefills of those ahead sharing the boundary plus its own, then the remaining
first-chunk frames at the batch it joins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from qtts.runtime.errors import OverloadError, RequestTooLarge
from qtts.runtime.policy import DEFAULT_AGING_S, Priority, StepTimes, order_waiting

MIN_RETRY_S = 0.1  # floor of every retry_after_s (a retry sooner than this cannot see a change)
SHUTDOWN_RETRY_S = 1.0  # retry_after_s when draining: a retry should land on another replica

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """A request asking to be admitted; times in seconds on the scheduler's clock."""

    id: str
    priority: Priority
    submitted_at: float
    text_chars: int
    prompt_len: int  # talker prompt positions
    max_frames: int  # frame cap asked for (80 ms each)
    text_tokens: int | None = None  # None when not tokenized yet
    deadline: float | None = None  # latest acceptable first-audio time, or None


@dataclass(frozen=True)
class Limits:
    """Per-request limits checked before a slot is taken.

    ``max_prompt_len`` + ``max_frames`` is the slot's KV capacity in positions. A text is refused
    when even fast speech (``min_frames_per_token`` 2.0 frames = 160 ms per token, ~6 tokens/s)
    would need more frames than the request's cap, so the refusal never hits a text that fits."""

    max_text_chars: int = 5000
    max_text_tokens: int = 1024
    max_prompt_len: int = 1024
    max_frames: int = 2048  # RuntimeSection.max_frames
    min_frames_per_token: float = 2.0


def check_limits(req: Request, limits: Limits) -> None:
    """Raise :class:`RequestTooLarge` when ``req`` exceeds a per-request limit."""
    tokens = req.text_tokens
    checks = [
        (req.text_chars, limits.max_text_chars, "text characters"),
        (0 if tokens is None else tokens, limits.max_text_tokens, "text tokens"),
        (req.prompt_len, limits.max_prompt_len, "prompt positions"),
        (req.max_frames, limits.max_frames, "frames asked (max_frames)"),
    ]
    for value, limit, what in checks:
        if value > limit:
            raise RequestTooLarge(f"too long: {value} {what} (limit {limit})")
    if tokens is not None and tokens * limits.min_frames_per_token > req.max_frames:
        need = tokens * limits.min_frames_per_token
        raise RequestTooLarge(
            f"too long: {tokens} text tokens need at least {need:.0f} frames; max_frames is {req.max_frames}"
        )


class WaitingQueue(Generic[T]):
    """Bounded waiting room of (request, item) pairs, handed out in admission order."""

    def __init__(self, max_waiting: int = 64, aging_s: float = DEFAULT_AGING_S):
        if max_waiting < 1:
            raise ValueError(f"max_waiting must be >= 1, got {max_waiting}")
        self.max_waiting = max_waiting
        self.aging_s = aging_s
        self._entries: dict[str, tuple[Request, T]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def full(self) -> bool:
        return len(self._entries) >= self.max_waiting

    def position(self, req: Request, now: float) -> int:
        """How many queued requests would be admitted before ``req``."""
        order = order_waiting([*(r for r, _ in self._entries.values()), req], now, self.aging_s)
        return next(i for i, r in enumerate(order) if r is req)

    def push(self, req: Request, item: T) -> None:
        """Queue ``req`` (``check_admission`` first: pushing onto a full queue is a bug)."""
        if self.full:
            raise ValueError("waiting queue is full")
        if req.id in self._entries:
            raise ValueError(f"request {req.id!r} is already waiting")
        self._entries[req.id] = (req, item)

    def ordered(self, now: float) -> list[tuple[Request, T]]:
        """Every waiting (request, item), in admission order (nothing removed)."""
        order = order_waiting([r for r, _ in self._entries.values()], now, self.aging_s)
        return [self._entries[r.id] for r in order]

    def pop(self, now: float) -> tuple[Request, T] | None:
        """Remove and return the next request to admit, or None when empty."""
        order = self.ordered(now)
        return self._entries.pop(order[0][0].id) if order else None

    def remove(self, request_id: str) -> T | None:
        """Drop a waiting request (cancelled); its item, or None if it was not waiting."""
        entry = self._entries.pop(request_id, None)
        return None if entry is None else entry[1]


def _slot_wait_s(position: int, active: int, max_streams: int, times: StepTimes) -> float:
    """Seconds until the request ``position`` places from the head gets a slot."""
    boundary = times.predict_step(active)
    behind = position - max(0, max_streams - active) + 1  # slots that must free up first
    if behind <= 0:
        return boundary
    slot_interval = times.stream_frames * times.predict_step(max_streams) / max_streams
    return boundary + behind * slot_interval


def predicted_ttfa(
    position: int, active: int, max_streams: int, times: StepTimes, prompt_len: int, first_frames: int = 1
) -> float:
    """Predicted seconds from now to the first chunk of a request ``position`` places from the queue
    head, with ``active`` of ``max_streams`` slots busy and a first chunk of ``first_frames`` frames."""
    if max_streams < 1 or position < 0 or active < 0 or first_frames < 1:
        raise ValueError("need max_streams >= 1, position >= 0, active >= 0, first_frames >= 1")
    free = max(0, max_streams - active)
    prefills = (min(position, free) + 1) * times.predict_prefill(prompt_len)
    batch = min(max_streams, active + position + 1)
    more_frames = (first_frames - 1) * times.predict_step(batch)
    return _slot_wait_s(position, active, max_streams, times) + prefills + more_frames


def check_admission(
    req: Request,
    queue: WaitingQueue,
    now: float,
    active: int,
    max_streams: int,
    times: StepTimes,
    limits: Limits,
    first_frames: int = 1,
    shutting_down: bool = False,
) -> float:
    """Predicted TTFA (s) of ``req`` if it may wait in ``queue``; otherwise raise at once:
    :class:`OverloadError` (shutting_down, queue_full, deadline_unreachable) or
    :class:`RequestTooLarge`. Checked in that order: shutting down, limits, queue room, deadline."""
    if shutting_down:
        raise OverloadError("shutting_down", SHUTDOWN_RETRY_S)
    check_limits(req, limits)
    if queue.full:
        raise OverloadError("queue_full", max(MIN_RETRY_S, _slot_wait_s(0, active, max_streams, times)))
    ttfa = predicted_ttfa(queue.position(req, now), active, max_streams, times, req.prompt_len, first_frames)
    if req.deadline is not None and now + ttfa > req.deadline:
        raise OverloadError("deadline_unreachable", max(MIN_RETRY_S, now + ttfa - req.deadline))
    return ttfa
