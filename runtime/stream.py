"""Streaming plumbing: segment joins, fixed-size chunking, and a back-pressured chunk iterator.

Data flow of one stream: decoded PCM pieces (any length) -> :class:`SegmentJoiner` (fade-in of
later segments, a ramp to zero plus a pause after each segment) -> :class:`Chunker` (exactly
``chunk`` samples per chunk, the last one shorter) -> :class:`AudioStream` (filled by the
scheduler thread, runtime/scheduler.py; the consumer iterates).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def fade_in(n: int) -> np.ndarray:
    """Rising half-Hann window float32 [n], strictly inside (0, 1): 0.5 - 0.5 cos(pi (i+1)/(n+1))."""
    return (0.5 - 0.5 * np.cos(np.pi * np.arange(1, n + 1) / (n + 1))).astype(np.float32)


class SegmentJoiner:
    """Joins the PCM of consecutive segments into one click-free signal.

    Segment k > 0 has its first ``fade`` samples multiplied by a rising half-Hann; every segment is
    followed by ``fade`` samples ramping from its last sample to zero (half-cosine) and by its pause
    of silence. So a stream of S segments has sum(decoded) + S * fade + sum(pauses) samples, and the
    first segment's samples are the decoder's own.
    """

    def __init__(self, fade: int):
        self.fade = fade
        self._segments = 0
        self._faded = 0  # samples of the current segment that went through the fade-in
        self._last = np.float32(0.0)

    def begin(self) -> None:
        self._segments += 1
        self._faded = 0 if self._segments > 1 else self.fade

    def push(self, pcm: np.ndarray) -> np.ndarray:
        n = min(self.fade - self._faded, len(pcm))
        if n > 0:
            pcm = pcm.copy()
            pcm[:n] *= fade_in(self.fade)[self._faded : self._faded + n]
            self._faded += n
        if len(pcm):
            self._last = pcm[-1]
        return pcm

    def end(self, pause: int) -> np.ndarray:
        """The ramp to zero after the current segment, then ``pause`` samples of silence."""
        ramp = self._last * fade_in(self.fade)[::-1]
        self._last = np.float32(0.0)
        return np.concatenate([ramp, np.zeros(pause, np.float32)]).astype(np.float32)


class Chunker:
    """Re-cuts PCM pieces into chunks of exactly ``size`` samples (``flush`` returns the remainder)."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("chunk size must be >= 1 sample")
        self.size = size
        self._buf = np.zeros(0, np.float32)

    def push(self, pcm: np.ndarray) -> list[np.ndarray]:
        buf = np.concatenate([self._buf, pcm]) if len(self._buf) else pcm
        n = len(buf) // self.size * self.size
        self._buf = buf[n:].copy()
        return [buf[i : i + self.size] for i in range(0, n, self.size)]

    def flush(self) -> list[np.ndarray]:
        out, self._buf = ([self._buf] if len(self._buf) else []), np.zeros(0, np.float32)
        return out


@dataclass
class StreamStats:
    """What one stream did; filled while it runs (times in seconds from the request start)."""

    started: float = field(default_factory=time.perf_counter)
    chunk_times: list[float] = field(default_factory=list)  # when each chunk reached the consumer
    samples: int = 0
    frames: int = 0
    join_samples: int = 0  # samples not decoded from frames: ramps and pauses (SegmentJoiner.end)
    decode_s: float = 0.0  # producer time in the codec decoder
    generate_s: float = 0.0  # producer time generating frames (talker + code predictor)
    finish_reasons: list[str] = field(default_factory=list)  # one per segment
    codes: list[np.ndarray] = field(default_factory=list)  # int64 [frames, 16] per segment
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def time_to_first_audio(self) -> float | None:
        return self.chunk_times[0] if self.chunk_times else None

    @property
    def finish_reason(self) -> str:
        """The first segment's reason that is not ``eos``, else ``eos`` (``cancelled`` if none ran)."""
        return next((r for r in self.finish_reasons if r != "eos"), "eos" if self.finish_reasons else "cancelled")


_END = object()


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():  # a cancelled waiter stays cancelled
        fut.set_result(None)


class AudioStream:
    """A scheduled request's output: iterator (and async iterator) over PCM chunks float32 [n].

    The scheduler thread :meth:`put`s chunks and finally :meth:`end`s the stream (with an error, if
    one stopped it); the consumer iterates. The scheduler pauses a stream whose consumer holds
    ``max_buffered`` unread chunks (back-pressure; others keep going). ``close()`` (also on
    ``with`` exit, on a ``break`` out of ``async for``) cancels the request and waits until the
    scheduler has freed its slot (within one step); dropping a running stream cancels it too.
    ``cancel``: an event of the caller's that cancels the request when set (default: a new one).
    An event-loop consumer awaits :meth:`ready` and then reads without blocking: no thread per
    stream, the scheduler thread wakes the loop.
    """

    def __init__(
        self, *, max_buffered: int = 8, on_finish: Callable[[StreamStats], None] | None = None, cancel: threading.Event | None = None
    ):
        self.stats = StreamStats()
        self.max_buffered = max(1, max_buffered)
        self.cancel_event = cancel if cancel is not None else threading.Event()
        self.on_read: Callable[[], None] | None = None  # the scheduler's wake-up: a paused stream may go on
        self._on_finish = on_finish
        self._chunks: collections.deque[Any] = collections.deque()
        self._cond = threading.Condition()
        self._ended = False  # the scheduler is done with this stream
        self._done = False  # the consumer saw the end (or closed)
        self._waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[None]] | None = None  # an awaiting ready()

    # ------------------------------------------------------------------ producer side (scheduler)
    @property
    def backlog(self) -> int:
        """Chunks waiting for the consumer."""
        return len(self._chunks)

    def put(self, chunk: np.ndarray) -> None:
        with self._cond:
            self._chunks.append(chunk)
            self._notify()

    def end(self, error: BaseException | None = None) -> None:
        """No more chunks; ``error`` is raised to the consumer after the chunks already put.
        Only the first call counts."""
        with self._cond:
            if self._ended:
                return
            self._chunks.append(_END if error is None else error)
            self._ended = True
            self._notify()

    def _notify(self) -> None:
        """Wake the consumer: a thread in ``next`` and an event loop awaiting ``ready`` (holds the lock)."""
        self._cond.notify_all()
        if self._waiter is not None:
            (loop, fut), self._waiter = self._waiter, None
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_resolve, fut)

    # ------------------------------------------------------------------ consumer side
    def __iter__(self) -> Iterator[np.ndarray]:
        return self

    def __next__(self) -> np.ndarray:
        if self._done:
            raise StopIteration
        with self._cond:
            while not self._chunks:
                self._cond.wait()
            item = self._chunks.popleft()
            paused = len(self._chunks) + 1 >= self.max_buffered
        if item is _END or isinstance(item, BaseException):
            self._finish()
            if isinstance(item, BaseException):
                raise item
            raise StopIteration
        if paused and self.on_read is not None:
            self.on_read()
        self.stats.chunk_times.append(time.perf_counter() - self.stats.started)
        self.stats.samples += len(item)
        return item

    async def ready(self) -> None:
        """Return once a chunk (or the end) waits, so that the next ``next()`` does not block. For one
        consumer on an event loop: the scheduler thread wakes the loop when it puts a chunk."""
        with self._cond:
            if self._chunks or self._done:
                return
            fut = asyncio.get_running_loop().create_future()
            self._waiter = (fut.get_loop(), fut)
        try:
            await fut
        finally:
            with self._cond:
                if self._waiter is not None and self._waiter[1] is fut:
                    self._waiter = None

    def cancel(self) -> None:
        """Ask the scheduler to stop this request (it frees the slot within one step)."""
        self.cancel_event.set()

    def close(self, timeout: float = 30.0) -> None:
        """Cancel (if still running), wait until the scheduler has let go of the stream, and end
        the iteration (a reader blocked in another thread gets StopIteration)."""
        if self._done:
            return
        if not self._ended:
            self.cancel_event.set()
            if self.on_read is not None:
                self.on_read()
        with self._cond:
            self._cond.wait_for(lambda: self._ended, timeout)
            self._chunks.clear()
            self._chunks.append(_END)
            self._notify()
        self._finish()

    def _finish(self) -> None:
        with self._cond:
            if self._done:
                return
            self._done = True
        if self._on_finish is not None:
            self._on_finish(self.stats)

    @property
    def running(self) -> bool:
        return not self._ended

    def __enter__(self) -> AudioStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_ended", True):  # dropped while running: cancel (never touch a finished request's event)
            self.cancel_event.set()

    async def __aiter__(self) -> AsyncIterator[np.ndarray]:
        try:
            while True:
                await self.ready()
                chunk = next(self, None)
                if chunk is None:
                    return
                yield chunk
        finally:
            await asyncio.get_running_loop().run_in_executor(None, self.close)  # close() waits: not on the event loop
